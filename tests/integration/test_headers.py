"""Security headers on every route of the URL map (pages, downloads, redirects, errors), `no-store` on all but
static assets, and a script policy every page keeps: inline scripts carry the response's nonce, nothing else runs."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.security.headers import STATIC_ENDPOINTS
from tests.integration.test_url_matrix import _decisions

ALWAYS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>", re.I)


def _problems(method: str, url: str, response: TestResponse, static: bool = False) -> list[str]:
    """What is wrong with one response's headers (and, for a page, with its scripts)."""
    found = [
        f"{method} {url}: {name}={response.headers.get(name)}"
        for name, v in ALWAYS.items()
        if response.headers.get(name) != v
    ]
    policy = response.headers.get("Content-Security-Policy", "")
    for directive in ("frame-ancestors 'none'", "object-src 'none'", "default-src 'self'", "form-action 'self'"):
        if directive not in policy:
            found.append(f"{method} {url}: CSP lacks {directive}")
    script_src = re.search(r"script-src ([^;]*)", policy)
    if not script_src or "'unsafe-inline'" in script_src.group(1) or "'unsafe-eval'" in script_src.group(1):
        found.append(f"{method} {url}: script-src {script_src and script_src.group(1)}")
    cache = response.headers.get("Cache-Control", "")
    wanted = "public, max-age=" if static and response.status_code < 400 else "no-store"
    if not cache.startswith(wanted):
        found.append(f"{method} {url}: Cache-Control={cache}")
    if response.mimetype == "text/html" and not response.is_streamed:
        page = response.get_data(as_text=True)
        nonce = re.search(r"'nonce-([^']+)'", policy)
        for attributes in INLINE_SCRIPT.findall(page):
            if 'type="application/json"' in attributes:
                continue  # data, not code
            if not nonce or f'nonce="{nonce.group(1)}"' not in attributes:
                found.append(f"{method} {url}: inline script without this response's nonce")
        if re.search(r"\son[a-z]+\s*=\s*[\"']", page) or "javascript:" in page:
            found.append(f"{method} {url}: inline event handler or javascript: URL")
    return found


def test_every_route_answers_with_the_security_headers_and_no_store(app, login):
    client = login("admin")
    routes = sorted(_decisions(app), key=lambda route: route[2] == "AuthDBView.logout")  # sign out last
    problems: list[str] = []
    for method, url, endpoint, _permission in routes:
        response = client.open(url, method=method, data={})
        problems += _problems(method, url, response, static=endpoint in STATIC_ENDPOINTS)
        response.close()
    assert problems == []
    assert len(routes) > 150


def test_visitors_get_the_headers_too(app, client):
    problems: list[str] = []
    for url in ("/", "/login/", "/public/catalog/150621", "/queue/cases", "/no/such/page", "/lang/en"):
        response = client.get(url)
        problems += _problems("GET", url, response)
    response = client.post("/login/", data={"username": "admin", "password": "wrong-password-1"})
    problems += _problems("POST", "/login/", response)
    assert problems == []


def test_static_assets_are_cached_and_pages_are_not(client: FlaskClient):
    for url in ("/static/app.css", "/static/appbuilder/css/bootstrap.min.css", "/favicon.ico"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert _problems("GET", url, response, static=True) == []
        assert response.headers["Cache-Control"].startswith("public, max-age="), url
        response.close()
    assert client.get("/public/catalog/150621").headers["Cache-Control"] == "no-store"


def test_the_chart_library_goes_out_compressed_once_versioned_and_cached_for_a_year(client: FlaskClient, login):
    import gzip

    import brotli

    page = login("supervisor").get("/dashboard/").get_data(as_text=True)
    raw = Path("app/static/vendor/echarts/echarts.min.js").read_bytes()
    url = f"/static/vendor/echarts/echarts.min.js?v={hashlib.sha256(raw).hexdigest()[:12]}"
    assert f'src="{url}"' in page  # the dashboard links the versioned URL
    versioned = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert versioned.headers["Content-Encoding"] == "br" and brotli.decompress(versioned.data) == raw
    assert len(versioned.data) < len(raw) / 3
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Accept-Encoding" in versioned.headers["Vary"]
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip" and gzip.decompress(zipped.data) == raw
    again = client.get(url, headers={"Accept-Encoding": "br", "If-None-Match": versioned.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    for response in (versioned, zipped, again):
        response.close()  # as a WSGI server does
    plain = client.get(url)  # a client that accepts no encoding gets the file as it is
    assert "Content-Encoding" not in plain.headers and plain.data == raw
    plain.close()
    stale = client.get("/static/vendor/echarts/echarts.min.js?v=000000000000", headers={"Accept-Encoding": "br"})
    assert "immutable" not in stale.headers["Cache-Control"]  # an old version's URL is not kept for a year
    stale.close()
    tiny = client.get("/static/favicon.svg", headers={"Accept-Encoding": "br"})  # 222 bytes: not worth it
    assert "Content-Encoding" not in tiny.headers
    tiny.close()


def test_a_download_is_not_kept_by_the_browser(login, region):
    response = login("admin").get(f"/catalog/export?region_id={region('150621').id}")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert response.headers["Cache-Control"] == "no-store" and response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_a_page_with_inline_scripts_names_their_nonce_in_its_policy(login, staff):
    from tests.factories import apply

    case = apply(staff("dlt_agent"))
    client = login("dlt_agent")
    for url in (f"/cases/{case.id}", "/users/userinfo/"):
        response = client.get(url)
        assert response.status_code == 200, url
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
        assert f'nonce="{nonce}"' in response.get_data(as_text=True)
        assert _problems("GET", url, response) == []
    other = client.get(f"/cases/{case.id}").headers["Content-Security-Policy"]
    assert re.search(r"'nonce-([^']+)'", other).group(1) != nonce  # a new nonce for every response
