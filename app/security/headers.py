"""Security headers on every response, and `no-store` on everything but static assets (`app.static_assets`).

An `after_request` hook rather than Flask-Talisman: Talisman's defaults (forcing HTTPS, its own session-cookie
flags, cookie and HSTS handling) would each have to be set to what the app already does, and what is left is
these few lines. Scripts run only from the app itself or inline with this response's nonce: FAB's templates
and ours write `nonce="{{ csp_nonce() }}"` on their inline scripts (FAB's `baselib.get_nonce()` looks for the
same `csp_nonce` Talisman would provide). Style attributes are everywhere in FAB's pages, so inline styles
stay allowed. Nothing from another origin: no framing, no plugins, forms post to the app only.
"""

from __future__ import annotations

import secrets

from flask import Flask, request
from werkzeug.wrappers import Response

NONCE_KEY = "bangninban.csp_nonce"
SCRIPT_SRC = "script-src 'self'"
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        SCRIPT_SRC,
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# Endpoints that serve files shipped with the app (ours, FAB's, the favicon): no personal data, cacheable.
STATIC_ENDPOINTS = frozenset({"static", "appbuilder.static", "favicon"})


def csp_nonce() -> str:
    """This response's script nonce (made when a template first asks for it; kept on the request)."""
    return request.environ.setdefault(NONCE_KEY, secrets.token_urlsafe(16))


def init_headers(app: Flask) -> None:
    """Add the headers to every response the app sends, error pages and redirects included."""
    favicon_cache = f"public, max-age={app.config['STATIC_MAX_AGE_SECONDS']}"
    app.jinja_env.globals["csp_nonce"] = csp_nonce  # a global: imported macros (FAB's baselib, ours) see it too

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.update(HEADERS)
        nonce = request.environ.get(NONCE_KEY)
        if nonce:  # the page has inline scripts: those carrying this nonce may run
            policy = CONTENT_SECURITY_POLICY.replace(SCRIPT_SRC, f"{SCRIPT_SRC} 'nonce-{nonce}'")
            response.headers["Content-Security-Policy"] = policy
        if app.config.get("SESSION_COOKIE_SECURE"):  # served over HTTPS: browsers must keep to it
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if request.endpoint in STATIC_ENDPOINTS and response.status_code < 400:
            if request.endpoint == "favicon":  # the static folders' caching is app.static_assets'
                response.headers["Cache-Control"] = favicon_cache
        else:
            response.headers["Cache-Control"] = "no-store"
            response.headers.pop("Expires", None)
        return response
