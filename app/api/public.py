"""The app channel (蒙速办 app): apply, follow an application, read a region's published catalog — no token.

The same services as the public web pages (app.services.channels), the same limits counted under the same keys
in the same storage (app.views.channels): an address has one allowance, whether it uses the web form or the app.
The app asks the applicant the same one-time check question as the web form (GET /challenge, then its token and the
answer with the application), so one address cannot register cases in a loop between two rate-limit windows.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_appbuilder.api import expose
from flask_babel import gettext
from werkzeug.wrappers import Response

from app.api.base import JsonApi, json_error, load_body, public
from app.api.schemas import (
    ApplicationSchema,
    CatalogEntrySchema,
    ChallengeSchema,
    ProgressQuerySchema,
    ProgressSchema,
)
from app.domain.errors import DomainError, NotFound
from app.domain.workflow import CaseState, Channel
from app.security.limits import (
    TooManyAttempts,
    claim_challenge,
    client_address,
    count_failure,
    may_try_again,
    new_challenge,
    release_challenge,
    within_limit,
)
from app.services import channels as channel_service
from app.services.catalog import public_record, published_catalog
from app.texts import error_text

NO_MATCH = (
    "No application matches this case number and phone number. Check both: the phone is the "
    "contact phone given with the application."
)


def _too_many() -> Response:
    return json_error(429, gettext(TooManyAttempts.template))


class ChannelApi(JsonApi):
    """/api/v1/public: what the applicant's app may do without signing in."""

    resource_name = "public"
    openapi_spec_tag = "App channel (public)"

    @expose("/catalog/<code>", methods=["GET"])
    @public
    def catalog(self, code: str) -> Response:
        """A region's published catalog: the items an application may ask for.
        ---
        get:
          summary: The published catalog of a region
          parameters:
          - in: path
            name: code
            required: true
            schema:
              type: string
            description: The region's division code, e.g. 150621
          responses:
            200:
              description: The region and its published items, by stage
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/CatalogSchema'
            404:
              $ref: '#/components/responses/404'
            429:
              description: Too many calls from this address (PUBLIC_PAGE_RATE_LIMIT)
        """
        if not within_limit("PUBLIC_PAGE_RATE_LIMIT", client_address()):
            return _too_many()
        if "\x00" in code:
            return json_error(404)  # no region's code (and PostgreSQL refuses NUL in a query)
        try:
            region, items = published_catalog(code[:12])
        except NotFound:
            return json_error(404)
        if not region.active:
            return json_error(404)
        entries = [{"id": item.id, **public_record(item)} for item in items]
        return self.response(
            200,
            region={"code": region.code, "name": region.name},
            items=CatalogEntrySchema(many=True).dump(entries),
        )

    @expose("/challenge", methods=["GET"])
    @public
    def challenge(self) -> Response:
        """A check question for the applicant, good for one application.
        ---
        get:
          summary: Draw a check question
          description: >-
            Show the question to the applicant and send its token and their answer with the application. A wrong
            answer uses the question up; so does a registered application. Rate-limited per address
            (PUBLIC_PAGE_RATE_LIMIT).
          responses:
            200:
              description: The question and its signed token
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/ChallengeSchema'
            429:
              description: Too many questions drawn from this address
        """
        if not within_limit("PUBLIC_PAGE_RATE_LIMIT", client_address()):
            return _too_many()
        drawn = new_challenge()
        config = current_app.config
        body = {
            "token": drawn.token,
            "question": drawn.question_zh,
            "question_en": drawn.question_en,
            "expires_in": int(config["PUBLIC_CHALLENGE_MAX_MINUTES"]) * 60,
            "min_seconds": int(config["PUBLIC_CHALLENGE_MIN_SECONDS"]),
        }
        return self.response(200, **ChallengeSchema().dump(body))

    @expose("/applications", methods=["POST"])
    @public
    def apply(self) -> Response:
        """Apply (Attachment 4) through the app: a case in 已申请 with channel 蒙速办 app.
        ---
        post:
          summary: Submit an application
          description: >-
            The back-office's checks, every field at once (credit code, project code, amounts, phones, items of
            the region's published catalog), and the check question drawn from /challenge. Rate-limited per
            address with the web form (PUBLIC_APPLY_RATE_LIMIT).
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/ApplicationSchema'
          responses:
            201:
              description: Registered; follow it with its number and the contact phone
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/ReceiptSchema'
            400:
              $ref: '#/components/responses/400'
            422:
              description: Not registered; a message per field
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/MessageSchema'
            429:
              description: Too many applications from this address
        """
        if not within_limit("PUBLIC_APPLY_RATE_LIMIT", client_address()):
            return _too_many()
        values = load_body(ApplicationSchema())
        try:
            nonce = claim_challenge(values)
        except DomainError as refusal:
            # Every other mistake shows too, so one more round fixes all of them.
            errors = {name or "_form": error_text(e) for name, e in channel_service.check_application(values).items()}
            errors["challenge_answer"] = error_text(refusal)
            return json_error(422, error_text(refusal), errors=errors)
        try:
            case = channel_service.apply_online(values, channel=Channel.APP.value)
        except channel_service.ApplicationRefused as refused:
            release_challenge(nonce)  # nothing was written: the same question serves the corrected application
            errors = {name or "_form": error_text(error) for name, error in refused.problems.items()}
            return json_error(422, error_text(refused), errors=errors)
        return self.response(
            201,
            number=case.number,
            receipt=case.channel_ref,
            state=gettext(CaseState(case.state).label),
            message=gettext(
                "Application %(number)s registered. Follow it with the case number and the contact phone.",
                number=case.number,
            ),
        )

    @expose("/progress", methods=["POST"])
    @public
    def progress(self) -> Response:
        """The state of an application and of each of its approvals, for its number and registered phone.
        ---
        post:
          summary: Follow an application
          description: >-
            A wrong phone gets the same answer as an unknown number. Rate-limited per address and per case
            number, with the web page (PUBLIC_PROGRESS_RATE_LIMIT, PUBLIC_PROGRESS_NUMBER_RATE_LIMIT).
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/ProgressQuerySchema'
          responses:
            200:
              description: The case's state and items
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/ProgressSchema'
            400:
              $ref: '#/components/responses/400'
            404:
              description: No application matches this number and phone
            429:
              description: Too many lookups from this address or of this number
        """
        query: dict[str, Any] = load_body(ProgressQuerySchema())
        number = query["number"].strip()[:32]
        if not within_limit("PUBLIC_PROGRESS_RATE_LIMIT", client_address()) or not may_try_again(
            "PUBLIC_PROGRESS_NUMBER_RATE_LIMIT", "PUBLIC_PROGRESS_NUMBER_BACKOFF", number.upper()
        ):
            return _too_many()
        found = channel_service.progress(number, query["phone"])
        if found is None:
            count_failure("PUBLIC_PROGRESS_NUMBER_RATE_LIMIT", number.upper())
            return json_error(404, gettext(NO_MATCH))
        return self.response(200, **ProgressSchema().dump(found))
