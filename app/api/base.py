"""What every resource of the data API shares: who is calling, FAB's permission check, the caller's language,
domain errors as JSON with their HTTP status, and request bodies read through declared schemas.

A staff call is authenticated by a bearer token (`/api/v1/security/login`) or, for Swagger UI and scripts run
beside the back-office, by the browser's signed-in session — then a write needs the page's CSRF token in
`X-CSRFToken`. With an `Authorization` header the token alone decides, whatever cookie comes along.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import current_app, g, request, session
from flask_appbuilder.api import BaseApi
from flask_appbuilder.const import PERMISSION_PREFIX
from flask_babel import force_locale, gettext
from flask_jwt_extended import get_current_user, verify_jwt_in_request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from marshmallow import Schema
from marshmallow import ValidationError as SchemaError
from werkzeug.wrappers import Response
from wtforms import ValidationError as CSRFValidationError

from app.api.schemas import MAX_ROW_ID
from app.domain.errors import N_, DomainError, Forbidden, NotFound, StaleRecord, ValidationError
from app.domain.json_guard import nesting_depth
from app.services import cases as case_service
from app.services import engine
from app.texts import error_text

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Refusals that say "not in this state": the record is there, the move conflicts with where it stands.
CONFLICTS: tuple[type[DomainError], ...] = (
    StaleRecord,
    engine.InvalidMove,
    case_service.InvalidTransition,
    case_service.InvalidItemTransition,
)

MESSAGES = {
    400: N_("The request could not be understood."),
    401: N_("Sign in first: send an access token from /api/v1/security/login as “Authorization: Bearer …”."),
    403: N_("Your role does not allow this call."),
    404: N_("The record does not exist, or it lies outside your area."),
    405: N_("This address does not take this method."),
    413: N_("The request body is too large."),
    429: N_("Too many attempts from your network. Wait a while, then try again."),
    500: N_("Something went wrong. Try again; if it happens again, tell the administrator."),
}


def client_locale() -> str:
    """The caller's language: `?_l_=en|zh`, the language a signed-in browser chose in the menu, the best of
    Accept-Language, else Chinese."""
    languages = list(current_app.config["LANGUAGES"])
    for wanted in (request.args.get("_l_"), session.get("locale")):
        if wanted in languages:
            return wanted
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def json_error(code: int, message: str | None = None, **extra: Any) -> Response:
    """An error as the API answers it: the status, a message in the caller's language, and any details."""
    response = BaseApi.response(code, message=message or gettext(MESSAGES.get(code, MESSAGES[400])), **extra)
    if code == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def domain_error(error: DomainError) -> Response:
    """A service's refusal with its status: 404 not found or out of scope, 403 not this role, 409 the record's
    state or version conflicts, 422 a value or rule said no."""
    if isinstance(error, NotFound):
        code = 404
    elif isinstance(error, Forbidden):
        code = 403
    elif isinstance(error, CONFLICTS):
        code = 409
    elif isinstance(error, ValidationError):
        code = 422
    else:
        code = 400
    return json_error(code, error_text(error))


def guard_bodies() -> Response | None:
    """Before any API view: a body larger than API_MAX_BODY_BYTES is a 413 and one nested deeper than
    API_MAX_JSON_DEPTH a 400, both with a message, before a parser could run out of stack (and answer 500)."""
    if not request.path.startswith("/api/") or request.method in SAFE_METHODS:
        return None
    config = current_app.config
    declared = request.content_length
    if declared is not None and declared > int(config["API_MAX_BODY_BYTES"]):
        return json_error(413, gettext("The request body is too large."))
    body = request.get_data(cache=True)
    if len(body) > int(config["API_MAX_BODY_BYTES"]):
        return json_error(413, gettext("The request body is too large."))
    limit = int(config["API_MAX_JSON_DEPTH"])
    if nesting_depth(body, limit) > limit:
        return json_error(400, gettext("The request body is nested too deeply (at most %(n)s levels).", n=limit))
    return None


def load_body(schema: Schema) -> dict[str, Any]:
    """The JSON body read through its schema; BadBody (→ 400 with the fields' messages) when it does not fit."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise BadBody(gettext("Send a JSON object as the request body (Content-Type: application/json)."))
    return load(schema, payload)


def load_query(schema: Schema) -> dict[str, Any]:
    """The query string read through its schema (unknown parameters are ignored)."""
    return load(schema, {key: request.args.get(key) for key in request.args if key in schema.fields})


def load(schema: Schema, data: dict[str, Any]) -> dict[str, Any]:
    try:
        return schema.load(data)
    except SchemaError as error:
        raise BadBody(gettext("Some fields are not valid."), errors=_translated(error.messages)) from None


def _translated(messages: Any) -> Any:
    """Marshmallow's messages in the caller's language (ours are English msgids, its own too)."""
    if isinstance(messages, dict):
        return {str(key): _translated(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [_translated(value) for value in messages]
    return gettext(str(messages))


class BadBody(Exception):
    """The request's body or query does not fit its schema: a 400 with what is wrong, field by field."""

    def __init__(self, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message, self.errors = message, errors


def _answer(call: Callable[[], Response]) -> Response:
    """Run a call in the caller's language; refusals become JSON errors; an id no row can have is 404."""
    with force_locale(client_locale()):
        ids = [value for value in (request.view_args or {}).values() if isinstance(value, int)]
        if any(not 0 < value <= MAX_ROW_ID for value in ids):
            return json_error(404)
        try:
            return call()
        except BadBody as bad:
            extra = {"errors": bad.errors} if bad.errors else {}
            return json_error(400, bad.message, **extra)
        except DomainError as error:
            return domain_error(error)


def public(f: Callable[..., Response]) -> Callable[..., Response]:
    """A call anyone may make (no token): language and error handling only; its limits are its own."""

    @functools.wraps(f)
    def wraps(self: BaseApi, *args: Any, **kwargs: Any) -> Response:
        return _answer(lambda: f(self, *args, **kwargs))

    return wraps


def _caller() -> Any:
    """The token's user (bearer header) or the browser's signed-in user; None for nobody."""
    if request.headers.get("Authorization"):
        verify_jwt_in_request()  # its failures are answered by the JWT handlers (app.api.register): 401
        return get_current_user()
    if current_user.is_authenticated:
        if request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
            try:
                validate_csrf(request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token"))
            except (CSRFValidationError, CSRFError):
                raise BadBody(gettext("Send the page's CSRF token in the X-CSRFToken header.")) from None
        return g.user
    return None


def staff(f: Callable[..., Response]) -> Callable[..., Response]:
    """FAB's `@protect()` for our resources: `can_<permission>` on the resource, checked for the caller alone.

    The decorated method gets the calling user first. Domain refusals come back as JSON with their status.
    """
    permission_str = getattr(f, "_permission_name", f.__name__)

    @functools.wraps(f)
    def wraps(self: BaseApi, *args: Any, **kwargs: Any) -> Response:
        def call() -> Response:
            user = _caller()
            if user is None:
                return json_error(401)
            permission = PERMISSION_PREFIX + self.get_method_permission(f.__name__)
            sm = current_app.appbuilder.sm
            if permission not in self.base_permissions or not sm._has_view_access(
                user, permission, self.class_permission_name
            ):
                return json_error(403)
            g.user = user
            return f(self, user, *args, **kwargs)

        return _answer(call)

    wraps._permission_name = permission_str  # type: ignore[attr-defined]
    return wraps


class JsonApi(BaseApi):
    """A resource of the data API (version v1): JSON in, JSON out, documented in the OpenAPI spec."""

    version = "v1"

    def operation_helper(
        self, path: Any = None, operations: Any = None, methods: Any = None, func: Any = None, **kwargs: Any
    ) -> None:
        """FAB's operation spec; a guarded call names the bearer scheme (FAB would add an API-key scheme too)."""
        super().operation_helper(path=path, operations=operations, methods=methods, func=func, **kwargs)
        for operation in (operations or {}).values():
            if "security" in operation:
                operation["security"] = [{"jwt": []}]


def paged(rows: list[Any], total: int, page: int, page_size: int, schema: Schema) -> dict[str, Any]:
    """One page of a list: its rows dumped by the resource's schema, the total, and where it stands."""
    return {"count": total, "page": page, "page_size": page_size, "result": schema.dump(rows, many=True)}
