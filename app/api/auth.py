"""The data API's sign-in: a password for an access and a refresh token, through the sign-in page's own rules.

Failures here and at /login/ count together (one lockout per name, one rate limit per address); a locked name,
an unknown name and an inactive login get the same answers the page gives. Each sign-in opens a server-side
session (app.security.signin): its tokens are refused once it ends — signing out here, a password change, the
login's deactivation, an admin's "sign out everywhere" or `flask end-sessions`.
"""

from __future__ import annotations

import logging
from typing import Any

import jwt
from flask import current_app, request
from flask_appbuilder.api import expose
from flask_babel import gettext
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from flask_jwt_extended.exceptions import JWTExtendedException
from werkzeug.wrappers import Response

from app.api.base import JsonApi, json_error, load_body, public
from app.api.schemas import LoginSchema, LogoutSchema, RefreshSchema
from app.security.limits import client_address, within_limit
from app.security.signin import (
    REFRESH_CLAIM,
    SESSION_CLAIM,
    check_sign_in,
    close_token_session,
    open_token_session,
    rotate_refresh,
)
from app.services.clock import local_time

log = logging.getLogger(__name__)


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else ""


def _claims(token: str, *, allow_expired: bool = False) -> dict[str, Any] | None:
    """A token's claims when it is ours and intact (and unexpired unless allowed); None otherwise."""
    try:
        return decode_token(token, allow_expired=allow_expired)
    except (jwt.PyJWTError, JWTExtendedException, ValueError):
        return None


def _tokens_answer(access: str, refresh: str | None = None) -> Response:
    body: dict[str, Any] = {
        "access_token": access,
        "token_type": "Bearer",  # nosec B105 (the scheme name, no secret)
        "expires_in": int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]),
    }
    if refresh is not None:
        body["refresh_token"] = refresh
    return JsonApi.response(200, **body)


class TokenApi(JsonApi):
    """/api/v1/security: login, refresh, logout (FAB's SecurityApi is not registered: app.security.signin)."""

    resource_name = "security"
    openapi_spec_tag = "Sign-in"

    def add_apispec_components(self, api_spec: Any) -> None:
        super().add_apispec_components(api_spec)
        api_spec.components.security_scheme("jwt", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})

    @expose("/login", methods=["POST"])
    @public
    def login(self) -> Response:
        """Sign in with a login's name and password; rate-limited and locked like the sign-in page.
        ---
        post:
          summary: Sign in for tokens
          description: >-
            Shares the sign-in page's lockout (5 wrong passwords lock a name for 15 minutes, whichever door
            they came through; unknown names alike) and its rate limit per address (AUTH_RATE_LIMIT).
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/LoginSchema'
          responses:
            200:
              description: Signed in
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/TokenSchema'
            400:
              $ref: '#/components/responses/400'
            401:
              description: Wrong name or password, an inactive login, or a locked name
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/MessageSchema'
            429:
              description: Too many sign-in attempts from this address
        """
        body = load_body(LoginSchema())
        user, locked_until = check_sign_in(self.appbuilder.sm, body["username"], body["password"])
        if locked_until is not None:
            return json_error(
                401,
                gettext(
                    "Too many failed sign-ins: this account is locked until %(at)s.",
                    at=local_time(locked_until).strftime("%H:%M"),
                ),
            )
        if user is None:
            return json_error(401, gettext("Invalid login. Please try again."))
        sid, refresh_id = open_token_session(user.id)
        log.info("token sign-in of user %s", user.id)
        claims = {SESSION_CLAIM: sid}
        return _tokens_answer(
            create_access_token(identity=str(user.id), fresh=True, additional_claims=claims),
            create_refresh_token(identity=str(user.id), additional_claims={**claims, REFRESH_CLAIM: refresh_id}),
        )

    @expose("/refresh", methods=["POST"])
    @public
    def refresh(self) -> Response:
        """A new access token and the next refresh token for a refresh token, while its sign-in lasts.
        ---
        post:
          summary: Exchange a refresh token for a new access token and a new refresh token
          description: >-
            Send the refresh token as the bearer header or in the body. Each refresh token is good once: keep the
            one in the answer; presenting an old one again ends the sign-in. A sign-in unused for
            SESSION_IDLE_MINUTES ends, as a browser's does.
          requestBody:
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/RefreshSchema'
          responses:
            200:
              description: A new access token
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/TokenSchema'
            400:
              $ref: '#/components/responses/400'
            401:
              description: Not a valid refresh token, or its sign-in has ended
            429:
              description: Too many calls from this address (API_TOKEN_RATE_LIMIT)
        """
        if not within_limit("API_TOKEN_RATE_LIMIT", client_address()):
            return json_error(429)
        token = _bearer() or (load_body(RefreshSchema()).get("refresh_token") if request.data else "")
        if not token:
            return json_error(400, gettext("Send the refresh token (as the bearer header or refresh_token)."))
        claims = _claims(token)
        if claims is None or claims.get("type") != "refresh":
            return json_error(401, gettext("The refresh token is not valid or has expired: sign in again."))
        if self.appbuilder.sm.load_user_jwt(None, claims) is None:
            return json_error(401, gettext("This sign-in has ended: sign in again."))
        # Each refresh token is good once: the answer carries the next one, and an old one ends the sign-in.
        next_id = rotate_refresh(claims[SESSION_CLAIM], claims["sub"], claims.get(REFRESH_CLAIM))
        if next_id is None:
            return json_error(401, gettext("This refresh token was used before: the sign-in has ended, sign in again."))
        session_claim = {SESSION_CLAIM: claims[SESSION_CLAIM]}
        return _tokens_answer(
            create_access_token(identity=claims["sub"], fresh=False, additional_claims=session_claim),
            create_refresh_token(identity=claims["sub"], additional_claims={**session_claim, REFRESH_CLAIM: next_id}),
        )

    @expose("/logout", methods=["POST"])
    @public
    def logout(self) -> Response:
        """End a token sign-in: its access and refresh tokens are refused from now on.
        ---
        post:
          summary: Sign a token out
          description: Send the access or refresh token as the bearer header or in the body (`token`).
          requestBody:
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/LogoutSchema'
          responses:
            200:
              description: Signed out
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/MessageSchema'
            400:
              $ref: '#/components/responses/400'
            401:
              description: Not a token of this service
            429:
              description: Too many calls from this address (API_TOKEN_RATE_LIMIT)
        """
        if not within_limit("API_TOKEN_RATE_LIMIT", client_address()):
            return json_error(429)
        token = _bearer() or (load_body(LogoutSchema()).get("token") if request.data else "")
        if not token:
            return json_error(400, gettext("Send the token to sign out (as the bearer header or token)."))
        claims = _claims(token, allow_expired=True)
        if claims is None or not isinstance(claims.get(SESSION_CLAIM), str):
            return json_error(401, gettext("The token is not valid: nothing was signed out."))
        close_token_session(claims[SESSION_CLAIM])
        return JsonApi.response(200, message=gettext("You have signed out."))
