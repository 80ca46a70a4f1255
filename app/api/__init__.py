"""The data API (#12): the 蒙速办 app's public channel, staff resources under FAB's permissions, its sign-in
(app.api.auth, registered by the security manager in place of FAB's), the OpenAPI spec and Swagger UI."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import current_app
from flask_appbuilder import AppBuilder
from flask_babel import force_locale, gettext
from werkzeug.wrappers import Response

from app.api.base import MESSAGES, client_locale, guard_bodies, json_error
from app.domain.errors import N_
from app.texts import API_ERRORS


def _in_callers_language(code: int) -> Response:
    """An HTTP error met before (or outside) any API view, as the API answers: JSON in the caller's language."""
    with force_locale(client_locale()):
        return json_error(code)


def _unauthorized(message: str) -> Response:
    with force_locale(client_locale()):
        return json_error(401, gettext(message))


def _token_refusals(jwt_manager: Any) -> None:
    """Every way a bearer token can fail is a 401 with a message in the caller's language (not 422 in English)."""
    missing = MESSAGES[401]
    invalid = N_("The access token is not valid: sign in again.")
    ended = N_("This sign-in has ended: sign in again.")
    jwt_manager.unauthorized_loader(lambda reason: _unauthorized(missing))
    jwt_manager.invalid_token_loader(lambda reason: _unauthorized(invalid))
    jwt_manager.expired_token_loader(
        lambda header, data: _unauthorized(N_("The access token has expired: get a new one with the refresh token."))
    )
    jwt_manager.user_lookup_error_loader(lambda header, data: _unauthorized(ended))
    jwt_manager.revoked_token_loader(lambda header, data: _unauthorized(ended))
    jwt_manager.needs_fresh_token_loader(lambda header, data: _unauthorized(invalid))
    jwt_manager.token_verification_failed_loader(lambda header, data: _unauthorized(invalid))


def register(appbuilder: AppBuilder) -> None:
    """Add the API's resources, its spec and Swagger UI; FAB's own user, role and permission APIs stay off
    (FAB_ADD_SECURITY_API = False) and its sign-in API is ours (app.security.signin)."""
    from app.api.docs import ApiDocsView, OpenApiSpec
    from app.api.public import ChannelApi
    from app.api.staff import CaseApi, DecisionApi, ItemApi

    config = current_app.config
    if not config.get("JWT_SECRET_KEY"):
        # Tokens are signed with a key of their own, derived from SECRET_KEY (a session key never signs a token).
        secret = str(config["SECRET_KEY"]).encode("utf-8")
        config["JWT_SECRET_KEY"] = hmac.new(secret, b"bangninban data API tokens", hashlib.sha256).hexdigest()
    _token_refusals(appbuilder.sm.jwt_manager)
    current_app.before_request(guard_bodies)
    current_app.extensions[API_ERRORS] = _in_callers_language
    for api in (ChannelApi, CaseApi, ItemApi, DecisionApi, OpenApiSpec):
        appbuilder.add_api(api)
    appbuilder.add_view_no_menu(ApiDocsView)
