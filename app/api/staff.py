"""Staff resources: cases, items and decisions, with the views' roles, row scope and state machine.

Each call needs `can_get` / `can_act` on its resource (the role table, app/domain/roles.py) and then meets the
same service a page would call: a record outside the caller's scope is 404 (another region, a liaison's other
department), a step the role or the state does not allow is 403 / 409 with the engine's own message, a stale
`expected_version` is 409.
"""

from __future__ import annotations

from typing import Any

from flask_appbuilder.api import expose
from flask_appbuilder.security.decorators import permission_name
from werkzeug.wrappers import Response

from app.api.base import JsonApi, json_error, load_body, load_query, paged, staff
from app.api.schemas import (
    CaseDetailSchema,
    CaseQuerySchema,
    CaseSchema,
    DecisionQuerySchema,
    DecisionSchema,
    ItemQuerySchema,
    ItemSchema,
    ItemStepSchema,
    ItemWithActionsSchema,
    StepSchema,
)
from app.domain.coordination import DECISION_TRANSITIONS
from app.domain.workflow import ITEM_TRANSITIONS
from app.models import Staff
from app.services import cases as case_service
from app.services import coordination, reading

ITEM_ACTIONS = frozenset(row.action for row in ITEM_TRANSITIONS)
DECISION_ACTIONS = frozenset(row.action for row in DECISION_TRANSITIONS)


def _step_kwargs(body: dict[str, Any]) -> dict[str, Any]:
    return {"note": body.get("note", ""), "expected_version": body["expected_version"]}


class CaseApi(JsonApi):
    """/api/v1/cases: the cases of the caller's regions (a liaison's: those with an item of their department)."""

    resource_name = "cases"
    openapi_spec_tag = "Cases"
    method_permission_name = {"list_cases": "get", "get_case": "get"}

    @expose("/", methods=["GET"])
    @permission_name("get")
    @staff
    def list_cases(self, user: Staff) -> Response:
        """Cases in scope, newest application first, a page at a time.
        ---
        get:
          summary: List cases
          parameters:
          - {in: query, name: page, schema: {type: integer, minimum: 1, maximum: 100000, default: 1}}
          - {in: query, name: page_size, schema: {type: integer, minimum: 1, maximum: 100, default: 20}}
          - in: query
            name: state
            schema:
              type: string
              enum: [submitted, accepted, refused, entrusted, planned, in_progress, completed, evaluated,
                     terminated]
          - {in: query, name: region, schema: {type: string, maxLength: 12}, description: "A region's division code"}
          responses:
            200:
              description: One page of cases
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/CasePageSchema'
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
        """
        query = load_query(CaseQuerySchema())
        found = reading.case_page(
            user,
            state=query.get("state"),
            region_code=query.get("region"),
            page=query["page"],
            page_size=query["page_size"],
        )
        return self.response(200, **paged(found.rows, found.total, query["page"], query["page_size"], CaseSchema()))

    @expose("/<int:pk>", methods=["GET"])
    @permission_name("get")
    @staff
    def get_case(self, user: Staff, pk: int) -> Response:
        """One case with the items the caller may see and the steps offered on each.
        ---
        get:
          summary: Read a case
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer, minimum: 1}}
          responses:
            200:
              description: The case
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/CaseDetailSchema'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
        """
        shown = reading.case_detail(pk, user)
        schema = CaseDetailSchema()
        schema.offered = shown.item_actions  # type: ignore[attr-defined]
        schema.items_shown = shown.items  # type: ignore[attr-defined]
        body = schema.dump(shown.case)
        body["close_reason"] = shown.close_reason
        return self.response(200, **body)


class ItemApi(JsonApi):
    """/api/v1/items: case items of the caller's regions and departments; their steps as on the case page."""

    resource_name = "items"
    openapi_spec_tag = "Items"
    method_permission_name = {"list_items": "get", "get_item": "get", "act": "act"}

    @expose("/", methods=["GET"])
    @permission_name("get")
    @staff
    def list_items(self, user: Staff) -> Response:
        """Items in scope (a liaison: their department's), by case, a page at a time.
        ---
        get:
          summary: List items
          parameters:
          - {in: query, name: page, schema: {type: integer, minimum: 1, maximum: 100000, default: 1}}
          - {in: query, name: page_size, schema: {type: integer, minimum: 1, maximum: 100, default: 20}}
          - in: query
            name: state
            schema:
              type: string
              enum: [planned, preparing, accepted, in_review, supplement, rectification, approved, rejected,
                     withdrawn]
          - {in: query, name: case_id, schema: {type: integer, minimum: 1}}
          responses:
            200:
              description: One page of items
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/ItemPageSchema'
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
        """
        query = load_query(ItemQuerySchema())
        found = reading.item_page(
            user,
            state=query.get("state"),
            case_id=query.get("case_id"),
            page=query["page"],
            page_size=query["page_size"],
        )
        return self.response(200, **paged(found.rows, found.total, query["page"], query["page_size"], ItemSchema()))

    def _item(self, item: Any, actions: list[Any]) -> Response:
        schema = ItemWithActionsSchema()
        schema.offered = {item.id: actions}  # type: ignore[attr-defined]
        return self.response(200, **schema.dump(item))

    @expose("/<int:pk>", methods=["GET"])
    @permission_name("get")
    @staff
    def get_item(self, user: Staff, pk: int) -> Response:
        """One item with the steps the caller may take on it now.
        ---
        get:
          summary: Read an item
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer, minimum: 1}}
          responses:
            200:
              description: The item
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/ItemWithActionsSchema'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
        """
        return self._item(*reading.item_detail(pk, user))

    @expose("/<int:pk>/actions/<action>", methods=["POST"])
    @permission_name("act")
    @staff
    def act(self, user: Staff, pk: int, action: str) -> Response:
        """Take a step on an item (accept, review, approve, ask for supplement, resubmit…), as on the case page.
        ---
        post:
          summary: Take a step on an item
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer, minimum: 1}}
          - in: path
            name: action
            required: true
            schema:
              type: string
              enum: [prepare, accept, review, approve, reject, request_supplement, request_rectification,
                     resubmit, withdraw]
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/ItemStepSchema'
          responses:
            200:
              description: Done; the item as it stands now
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/ItemWithActionsSchema'
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            409:
              description: Not possible in the item's state, or the item changed since expected_version
            422:
              description: A rule of the step said no (a note needed, a date in the future, …)
        """
        if action not in ITEM_ACTIONS:
            return json_error(404)
        body = load_body(ItemStepSchema())
        case_service.move_item(
            pk,
            action,
            user,
            body.get("on"),
            incomplete=body["incomplete"],
            promised_on=body.get("promised_on"),
            commitment=body["commitment"],
            **_step_kwargs(body),
        )
        return self._item(*reading.item_detail(pk, user))


class DecisionApi(JsonApi):
    """/api/v1/decisions: 议定事项 of the caller's departments; carry one out or cancel it, as the queue does."""

    resource_name = "decisions"
    openapi_spec_tag = "Decisions"
    method_permission_name = {"list_decisions": "get", "get_decision": "get", "act": "act"}

    @expose("/", methods=["GET"])
    @permission_name("get")
    @staff
    def list_decisions(self, user: Staff) -> Response:
        """Decisions in scope (a liaison: their department's), newest first.
        ---
        get:
          summary: List decisions
          parameters:
          - {in: query, name: page, schema: {type: integer, minimum: 1, maximum: 100000, default: 1}}
          - {in: query, name: page_size, schema: {type: integer, minimum: 1, maximum: 100, default: 20}}
          - {in: query, name: state, schema: {type: string, enum: [open, done, cancelled]}}
          responses:
            200:
              description: One page of decisions
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/DecisionPageSchema'
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
        """
        query = load_query(DecisionQuerySchema())
        found = reading.decision_page(user, state=query.get("state"), page=query["page"], page_size=query["page_size"])
        return self.response(200, **paged(found.rows, found.total, query["page"], query["page_size"], DecisionSchema()))

    def _decision(self, decision: Any, actions: list[Any]) -> Response:
        body = DecisionSchema().dump(decision)
        body["actions"] = [{"action": row.action} for row in actions]
        return self.response(200, **body)

    @expose("/<int:pk>", methods=["GET"])
    @permission_name("get")
    @staff
    def get_decision(self, user: Staff, pk: int) -> Response:
        """One decision with the steps the caller may take on it.
        ---
        get:
          summary: Read a decision
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer, minimum: 1}}
          responses:
            200:
              description: The decision
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/DecisionWithActionsSchema'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
        """
        return self._decision(*reading.decision_detail(pk, user))

    @expose("/<int:pk>/actions/<action>", methods=["POST"])
    @permission_name("act")
    @staff
    def act(self, user: Staff, pk: int, action: str) -> Response:
        """Report a decision carried out (fulfil, with a note) or cancel it (drop, conveners only, with a reason).
        ---
        post:
          summary: Take a step on a decision
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer, minimum: 1}}
          - {in: path, name: action, required: true, schema: {type: string, enum: [fulfil, drop]}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/StepSchema'
          responses:
            200:
              description: Done; the decision as it stands now
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/DecisionWithActionsSchema'
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            409:
              description: Not possible in the decision's state, or it changed since expected_version
            422:
              description: A rule of the step said no (a note needed, a date in the future, …)
        """
        if action not in DECISION_ACTIONS:
            return json_error(404)
        body = load_body(StepSchema())
        coordination.move_decision(pk, action, user, body.get("on"), **_step_kwargs(body))
        return self._decision(*reading.decision_detail(pk, user))
