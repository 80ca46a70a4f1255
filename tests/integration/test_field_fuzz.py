"""Every query and form field of every page, and every JSON body of every API route, with hostile values.

The pages are found the way a user finds them: signed in as each kind of user on the demo data, following the
links and forms of the pages reached from the start page (two pages per screen, so a list and one record of it).
Each page is asked again with every query parameter its links use set to 2³¹, 2⁶³, 9999-12-31 and a long text;
each form is submitted with all its fields so. The API's bodies get the same values in every property its spec
names, and a body nested far deeper than any request needs. Nothing may answer with a server error.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import HTTPException

from tests.conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("today_is")

HOSTILE = ("2147483648", "9223372036854775808", "9999-12-31", "长" * 3000)
PER_SCREEN = 2  # pages visited per URL rule: a list and one of its records
# Links that end the sign-in, switch the language or download files: followed elsewhere, not by the crawler.
SKIPPED = re.compile(r"/logout|/lang/|/static/|\.xlsx|\.pdf|/download|/ledger|/export|/swagger|/api/")
ROLES = ("admin", "supervisor", "dlt_agent", "dlt_liaison_water")


class _Page(HTMLParser):
    """The links and forms of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[tuple[str, str, dict[str, str]]] = []
        self._form: tuple[str, str, dict[str, str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        elif tag == "form":
            self._form = (values.get("action", ""), values.get("method", "get").lower(), {})
            self.forms.append(self._form)
        elif tag in ("input", "select", "textarea") and self._form is not None and values.get("name"):
            self._field(values)

    def _field(self, values: dict[str, str]) -> None:
        if self._form is not None and values.get("type") not in ("submit", "button", "file"):
            self._form[2][values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def _signed_in(client: FlaskClient, username: str) -> FlaskClient:
    client.post("/logout/")
    assert client.post("/login/", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def _endpoint(app: Flask, path: str) -> str | None:
    try:
        endpoint, _ = app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return None
    return endpoint


def _crawl(app: Flask, client: FlaskClient) -> Iterator[tuple[str, dict[str, set[str]], list]]:
    """(path, query names its links use, forms) for each page reached from the start page."""
    seen: Counter[str] = Counter()
    queue, visited = ["/"], set()
    while queue:
        url = queue.pop(0)
        path = urlsplit(url).path
        if path in visited:
            continue
        visited.add(path)
        endpoint = _endpoint(app, path)
        if endpoint is None or seen[endpoint] >= PER_SCREEN:
            continue
        seen[endpoint] += 1
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        page = _Page()
        page.feed(response.get_data(as_text=True))
        names: set[str] = set()
        for href in page.links:
            target = urljoin(path, href)
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or SKIPPED.search(parts.path) or not parts.path.startswith("/"):
                continue
            if parts.path == path:
                names.update(name for name, _ in parse_qsl(parts.query, keep_blank_values=True))
            queue.append(target)
        yield path, {"names": names}, page.forms


def _hostile_forms(client: FlaskClient, path: str, forms: list, username: str) -> int:
    sent = 0
    for action, method, fields in forms:
        target = urljoin(path, action or path)
        if SKIPPED.search(urlsplit(target).path):
            continue
        for value in HOSTILE:
            data = {name: ("" if name in ("csrf_token", "next") else value) for name in fields}
            posted = method == "post"
            response = client.post(target, data=data) if posted else client.get(target, query_string=data)
            assert response.status_code < 500, (username, method, target, value[:20], response.status_code)
            sent += 1
        if (
            client.get("/").status_code != 200
        ):  # a form that signs out (or changes the password) ends the crawl's session
            _signed_in(client, username)
    return sent


@pytest.mark.parametrize("username", ROLES)
def test_no_query_or_form_field_of_any_page_answers_a_hostile_value_with_a_server_error(demo_data, client, username):
    _signed_in(client, username)
    pages = asked = 0
    for path, query, forms in list(_crawl(demo_data, client)):
        pages += 1
        for value in HOSTILE:
            params = dict.fromkeys(query["names"] | {"page", "id", "region_id", "on", "from", "to"}, value)
            response = client.get(path, query_string=params)
            assert response.status_code < 500, (username, path, value[:20], response.status_code)
            asked += 1
        asked += _hostile_forms(client, path, forms, username)
    assert pages >= 15 and asked >= 100, (pages, asked)  # the crawl reached the screens, not only the start page


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def _operations(client: FlaskClient, headers: dict[str, str]) -> Iterator[tuple[str, str, dict, dict]]:
    """(method, path template, path parameters, body properties) of every API call that takes a body."""
    spec = client.get("/api/v1/_openapi", headers=headers).get_json()
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if method not in ("post", "put", "patch"):
                continue
            content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            schema = content.get("schema", {})
            if "$ref" in schema:
                schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
            parameters = {p["name"]: p["schema"] for p in operation.get("parameters", []) if p["in"] == "path"}
            yield method, path, parameters, schema.get("properties", {})


def _paths(template: str, parameters: dict, ids: dict[str, list[int]]) -> list[str]:
    """The template with a real record of its kind for {pk} and each of its steps for {action}."""
    kind = template.split("/")[3]
    record = str(ids.get(kind, [1])[0])
    actions = parameters.get("action", {}).get("enum", [""])
    return [template.replace("{pk}", record).replace("{action}", action) for action in actions]


def _bearer(client: FlaskClient, username: str) -> dict[str, str]:
    token = client.post("/api/v1/security/login", json={"username": username, "password": PASSWORD}).get_json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_no_json_body_of_any_api_route_answers_a_hostile_value_with_a_server_error(demo_data, client, staff):
    from sqlalchemy import select

    from app.extensions import db
    from app.models import CaseItem, Decision

    liaison = staff("dlt_liaison_water")
    ids = {
        "items": list(db.session.scalars(select(CaseItem.id).where(CaseItem.department_id == liaison.department_id))),
        "decisions": list(
            db.session.scalars(select(Decision.id).where(Decision.department_id == liaison.department_id))
        ),
    }
    assert ids["items"] and ids["decisions"]
    operations = list(_operations(client, _bearer(client, liaison.username)))
    assert len(operations) >= 5, operations
    answered: Counter[int] = Counter()
    for method, template, parameters, properties in operations:
        for path in _paths(template, parameters, ids):
            headers = _bearer(client, liaison.username)  # a fresh sign-in: the logout call ends the last one
            bodies = [dict.fromkeys(properties, value) for value in (2**31, 2**63, "9999-12-31", "长" * 3000)]
            bodies.append({key: [[[[{"x": 2**63}]]]] for key in properties})
            for body in bodies:
                response = client.open(path, method=method.upper(), json=body, headers=headers)
                assert response.status_code < 500 and response.is_json, (path, body, response.status_code)
                answered[response.status_code] += 1
            response = client.open(
                path, method=method.upper(), data=_deep(2000), content_type="application/json", headers=headers
            )
            assert response.status_code == 400 and response.is_json, (path, response.status_code)
    assert answered[422] + answered[400] >= 50, answered  # the bodies reached the checks, not only a 404
