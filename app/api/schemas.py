"""Every field the data API reads or writes, declared: nothing reaches a response that is not listed here.

Resources dump plain objects through these schemas (never a model's whole row), so a new column, a related
login or a password hash cannot slip into a response. The schemas also write the OpenAPI spec's components.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from app.domain.coordination import DecisionState
from app.domain.errors import N_
from app.domain.workflow import ACTION_LABELS, CaseState, ItemState
from app.texts import enum_label, full_name

MAX_PAGE_SIZE = 100
# Ids and versions are INTEGER columns: 32 bits on PostgreSQL and MariaDB (PostgreSQL raises on a larger value).
MAX_ROW_ID = 2**31 - 1
MAX_PAGE = 100_000

# Marshmallow's own messages, marked for translation (they are looked up by these English texts).
N_("Missing data for required field.")
N_("Not a valid string.")
N_("Not a valid integer.")
N_("Not a valid boolean.")
N_("Not a valid date.")
N_("Not a valid list.")
N_("Field may not be null.")
N_("Unknown field.")
N_("Must be one of: {choices}.")


class Strict(Schema):
    """A request schema: unknown fields are refused, so a typo does not pass for a missing field."""

    class Meta:
        unknown = RAISE


def no_nul(value: str) -> None:
    """A NUL character is no text anyone types (and PostgreSQL refuses it in any string): refused up front."""
    if "\x00" in value:
        raise ValidationError(N_("The text contains a NUL character, which is not allowed."))


def text(limit: int, **kwargs: Any) -> fields.String:
    return fields.String(validate=[validate.Length(max=limit), no_nul], **kwargs)


# --- signing in -----------------------------------------------------------------------------------------------


class LoginSchema(Strict):
    username = text(
        256, required=True, metadata={"description": "The login (or its e-mail address).", "example": "agent"}
    )
    password = text(256, required=True, metadata={"description": "The password."})


class TokenSchema(Schema):
    access_token = fields.String(metadata={"description": "Send as “Authorization: Bearer …” on staff calls."})
    refresh_token = fields.String(metadata={"description": "Exchanges for a new access token (/refresh)."})
    token_type = fields.String(metadata={"example": "Bearer"})
    expires_in = fields.Integer(metadata={"description": "Seconds the access token is valid."})


class RefreshSchema(Strict):
    refresh_token = text(4096, metadata={"description": "The refresh token (or send it as the bearer header)."})


class LogoutSchema(Strict):
    token = text(4096, metadata={"description": "The access or the refresh token of the sign-in to end."})


class MessageSchema(Schema):
    message = fields.String(metadata={"description": "In the caller's language (Accept-Language, zh by default)."})
    errors = fields.Dict(metadata={"description": "For invalid input: a message per field."})


# --- the published catalog --------------------------------------------------------------------------------------


class RegionRefSchema(Schema):
    code = fields.String()
    name = fields.String()


class CatalogEntrySchema(Schema):
    id = fields.Integer(metadata={"description": "Ask for this item by its id when applying (catalog_item_id)."})
    seq = fields.Integer()
    name = fields.String()
    department = fields.String()
    department_kind = fields.String()
    item_type = fields.String()
    item_type_code = fields.String()
    stage = fields.String()
    stage_code = fields.String()
    time_limit_days = fields.Integer(allow_none=True)
    legal_limit_days = fields.Integer(allow_none=True)
    promised_limit_days = fields.Integer(allow_none=True)
    allows_incomplete = fields.Boolean()
    allows_commitment = fields.Boolean()
    fast_track = fields.String(allow_none=True)
    is_other = fields.Boolean()


class CatalogSchema(Schema):
    region = fields.Nested(RegionRefSchema)
    items = fields.List(fields.Nested(CatalogEntrySchema))


# --- applying and following an application ------------------------------------------------------------------


class ChallengeSchema(Schema):
    token = fields.String(metadata={"description": "Send it back as challenge_token with the application."})
    question = fields.String(metadata={"description": "The question for the applicant, in Chinese numerals."})
    question_en = fields.String(metadata={"description": "The same question in English words."})
    expires_in = fields.Integer(metadata={"description": "Seconds the question stays valid."})
    min_seconds = fields.Integer(metadata={"description": "An application sent sooner after fetching is refused."})


class ApplicationSchema(Strict):
    """Attachment 4 as the app sends it: the fields of the online form (app.services.channels.apply_online)."""

    region = text(12, required=True, metadata={"description": "The region's division code.", "example": "150621"})
    challenge_token = text(
        200, metadata={"description": "From GET /api/v1/public/challenge; good for one application."}
    )
    challenge_answer = text(8, metadata={"description": "The applicant's answer to that question."})
    enterprise_name = text(300, metadata={"example": "鄂尔多斯市示例能源有限公司"})
    enterprise_credit_code = text(40, metadata={"description": "Unified social credit code (18 characters)."})
    enterprise_address = text(300)
    enterprise_postcode = text(20)
    enterprise_legal_representative = text(100)
    enterprise_phone = text(40)
    enterprise_contact_person = text(100)
    enterprise_contact_phone = text(40, metadata={"description": "The phone the progress lookup asks for."})
    project_name = text(300)
    project_code = text(40, metadata={"description": "Investment project code (24 characters, 4-6-2-2-6)."})
    project_address = text(300)
    project_total_investment = text(30, metadata={"description": "万元, e.g. “12000.50”."})
    project_planned_investment = text(30, metadata={"description": "万元, this year's; at most the total."})
    project_fund_source = text(100)
    project_land_nature = text(100)
    project_category = text(32, metadata={"description": "A project category code (e.g. “key”, “other”)."})
    project_main_use_and_scale = text(4000)
    project_progress_before = text(4000)
    catalog_item_id = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ROW_ID)),
        validate=validate.Length(max=100),
        metadata={"description": "Ids of items of the region's published catalog (/api/v1/public/catalog/…)."},
    )
    other_text = text(500, metadata={"description": "Another approval asked for (the catalog's “other” item)."})
    note = text(4000)


class ReceiptSchema(Schema):
    number = fields.String(metadata={"description": "The case number: follow the application with it."})
    receipt = fields.String(metadata={"description": "The app's receipt (channel reference)."})
    state = fields.String()
    message = fields.String()


class ProgressQuerySchema(Strict):
    number = text(32, required=True, metadata={"example": "150621-2026-0001"})
    phone = text(40, required=True, metadata={"description": "The contact phone given with the application."})


class ProgressItemSchema(Schema):
    name = fields.String()
    department = fields.String()
    state = fields.Function(lambda item: gettext(item.state))
    due_on = fields.Date(allow_none=True)


class ProgressSchema(Schema):
    number = fields.String()
    state = fields.Function(lambda progress: gettext(progress.state))
    applied_on = fields.Date()
    agent = fields.String(allow_none=True)
    items = fields.List(fields.Nested(ProgressItemSchema))


# --- staff resources ---------------------------------------------------------------------------------------------


class PageQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class CaseQuerySchema(PageQuerySchema):
    state = fields.String(validate=validate.OneOf([s.value for s in CaseState]))
    region = text(12, metadata={"description": "A region's division code (e.g. 150621)."})


class ItemQuerySchema(PageQuerySchema):
    state = fields.String(validate=validate.OneOf([s.value for s in ItemState]))
    case_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ROW_ID))


class DecisionQuerySchema(PageQuerySchema):
    state = fields.String(validate=validate.OneOf([s.value for s in DecisionState]))


class DepartmentRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class PersonSchema(Schema):
    """A member of staff as the API names them: the id and the 姓名, nothing of the login."""

    id = fields.Integer()
    name = fields.Function(full_name)


class ActionSchema(Schema):
    action = fields.Function(lambda row: row.action)
    label = fields.Function(lambda row: gettext(ACTION_LABELS.get(row.action, row.action)))


class ItemSchema(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    case_number = fields.Function(lambda item: item.case.number)
    name = fields.String()
    department = fields.Nested(DepartmentRefSchema)
    stage = fields.String()
    state = fields.String()
    state_label = fields.Function(lambda item: enum_label(ItemState)(item.state))
    time_limit_days = fields.Integer(allow_none=True)
    position = fields.Integer()
    planned_filing_on = fields.Date(allow_none=True)
    filed_on = fields.Date(allow_none=True)
    accepted_on = fields.Date(allow_none=True)
    due_on = fields.Date(allow_none=True)
    closed_on = fields.Date(allow_none=True)
    paused_since = fields.Date(allow_none=True)
    paused_days = fields.Integer()
    used_days = fields.Integer(allow_none=True)
    incomplete_acceptance = fields.Boolean()
    materials_promised_on = fields.Date(allow_none=True)
    commitment = fields.Boolean()
    allows_incomplete = fields.Boolean()
    allows_commitment = fields.Boolean()
    note = fields.Method("private_note", metadata={"description": "Phone numbers in it masked as in the fields."})
    version = fields.Integer(metadata={"description": "Send it back as expected_version with a step."})

    def private_note(self, item: Any) -> str:
        from flask import g

        from app.services.cases import private_text

        return private_text(item.case, g.user, item.note)


class ItemWithActionsSchema(ItemSchema):
    actions = fields.Method("item_actions", metadata={"description": "The steps the caller may take now."})

    def item_actions(self, item: Any) -> list[dict[str, str]]:
        offered = self.context_actions().get(item.id, [])
        return ActionSchema(many=True).dump(offered)

    def context_actions(self) -> dict[int, list[Any]]:
        return getattr(self, "offered", {})


class CaseSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    region = fields.Nested(RegionRefSchema)
    channel = fields.String()
    channel_ref = fields.String()
    state = fields.String()
    state_label = fields.Function(lambda case: enum_label(CaseState)(case.state))
    agent = fields.Nested(PersonSchema, allow_none=True)
    applied_on = fields.Date()
    accepted_on = fields.Date(allow_none=True)
    entrusted_on = fields.Date(allow_none=True)
    planned_on = fields.Date(allow_none=True)
    planned_end = fields.Date(allow_none=True)
    step_due_on = fields.Date(allow_none=True)
    closed_on = fields.Date(allow_none=True)
    enterprise_name = fields.String()
    credit_code = fields.String()
    project_name = fields.String()
    project_code = fields.String(allow_none=True)
    total_investment = fields.String(allow_none=True, metadata={"description": "万元, a decimal string (98000.00)."})
    planned_investment = fields.String(allow_none=True, metadata={"description": "万元, a decimal string."})
    project_category = fields.String()
    is_key_project = fields.Boolean()
    version = fields.Integer()


class CaseDetailSchema(CaseSchema):
    close_reason = fields.String()
    items = fields.Method("case_items")

    def case_items(self, case: Any) -> list[dict[str, Any]]:
        schema = ItemWithActionsSchema(many=True)
        schema.offered = getattr(self, "offered", {})  # type: ignore[attr-defined]
        return schema.dump(getattr(self, "items_shown", case.items))


class StepSchema(Strict):
    """One step on an item or a decision, as the case page's step form sends it."""

    expected_version = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=MAX_ROW_ID),
        metadata={"description": "The version read with the record: a newer one means someone else moved first (409)."},
    )
    on = fields.Date(metadata={"description": "The step's date (default today; never in the future)."})
    note = text(4000, load_default="")


class ItemStepSchema(StepSchema):
    incomplete = fields.Boolean(
        load_default=False, metadata={"description": "容缺受理: accepted with materials missing."}
    )
    promised_on = fields.Date(allow_none=True, metadata={"description": "When the missing materials are promised."})
    commitment = fields.Boolean(load_default=False, metadata={"description": "告知承诺."})


class DecisionSchema(Schema):
    id = fields.Integer()
    text = fields.String()
    review = fields.Function(lambda d: {"id": d.review_id, "topic": d.review.topic, "held_on": _iso(d.review.held_on)})
    department = fields.Nested(DepartmentRefSchema)
    case_id = fields.Integer(allow_none=True)
    case_number = fields.Function(lambda d: d.case.number if d.case is not None else None)
    item_id = fields.Integer(allow_none=True)
    due_on = fields.Date(allow_none=True)
    state = fields.String()
    state_label = fields.Function(lambda d: enum_label(DecisionState)(d.state))
    closed_on = fields.Date(allow_none=True)
    close_note = fields.String()
    version = fields.Integer()


class DecisionActionSchema(Schema):
    action = fields.String(metadata={"description": "A step the caller may take: POST …/actions/<action>."})


class DecisionWithActionsSchema(DecisionSchema):
    actions = fields.List(
        fields.Nested(DecisionActionSchema), metadata={"description": "The steps the caller may take now."}
    )


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


class PageSchema(Schema):
    count = fields.Integer(metadata={"description": "Rows in all (every page)."})
    page = fields.Integer()
    page_size = fields.Integer()


class CasePageSchema(PageSchema):
    result = fields.List(fields.Nested(CaseSchema))


class ItemPageSchema(PageSchema):
    result = fields.List(fields.Nested(ItemSchema))


class DecisionPageSchema(PageSchema):
    result = fields.List(fields.Nested(DecisionSchema))


# Nested schemas first: a schema registered before its parents is referenced by them, not added twice.
COMPONENTS: tuple[type[Schema], ...] = (
    RegionRefSchema,
    DepartmentRefSchema,
    PersonSchema,
    CatalogEntrySchema,
    ProgressItemSchema,
    CaseSchema,
    ItemSchema,
    DecisionSchema,
    LoginSchema,
    TokenSchema,
    RefreshSchema,
    LogoutSchema,
    MessageSchema,
    CatalogSchema,
    ChallengeSchema,
    ApplicationSchema,
    ReceiptSchema,
    ProgressQuerySchema,
    ProgressSchema,
    CasePageSchema,
    CaseDetailSchema,
    ItemPageSchema,
    ItemWithActionsSchema,
    ItemStepSchema,
    StepSchema,
    DecisionPageSchema,
    DecisionActionSchema,
    DecisionWithActionsSchema,
)
