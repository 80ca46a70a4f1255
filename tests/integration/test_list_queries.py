"""Lists that stay fast: 10 rows and 100 rows cost the same number of SQL queries, and no dropdown
loads a whole related table."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.extensions import db
from tests.factories import bulk_cases

pytestmark = pytest.mark.every_engine  # the list queries' SQL


@contextmanager
def counted():
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _queries(client, url):
    client.get(url)  # warm caches (translations, permissions of the login)
    with counted() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return statements, response.get_data(as_text=True)


WHOLE_TABLE = re.compile(
    r"FROM (ab_user|project|enterprise|agency_case|case_item|department)\b(?![\s\S]*\b(WHERE|LIMIT)\b)", re.IGNORECASE
)


@pytest.fixture
def hundred_cases(app):
    return bulk_cases("150621", 100)


@pytest.mark.parametrize(
    ("user", "url"),
    [
        ("dlt_supervisor", "/caselist/list/?psize_CaseView={n}"),
        ("dlt_supervisor", "/caseitems/list/?psize_CaseItemView={n}"),
        ("dlt_liaison_water", "/caseitems/list/?psize_CaseItemView={n}"),
        # Every filter at once: the dropdowns are read within the user's scope, the criteria are sub-selects.
        (
            "supervisor",
            "/caselist/list/?psize_CaseView={n}&_flt_0_state=in_progress&_flt_0_channel=window&_flt_0_warning=any"
            "&_flt_0_search=150621&_flt_0_enterprise=批量&_flt_0_project=批量项目",
        ),
        (
            "supervisor",
            "/caseitems/list/?psize_CaseItemView={n}&_flt_0_state=accepted&_flt_0_stage=project_land"
            "&_flt_0_search=150621&_flt_0_warning=any&_flt_0_enterprise=批量",
        ),
    ],
)
def test_a_list_costs_the_same_queries_for_10_and_100_rows(login, hundred_cases, user, url):
    client = login(user)
    small, page10 = _queries(client, url.format(n=10))
    large, page100 = _queries(client, url.format(n=100))
    assert page100.count("150621-2026-B0") >= 100  # the 100-row page really shows 100 rows
    assert page10.count("150621-2026-B0") <= 20
    assert len(large) == len(small), "\n".join(large)
    assert not [s for s in large if WHOLE_TABLE.search(s)]


@pytest.mark.parametrize(("user", "url"), [("dlt_liaison_water", "/queue/items"), ("dlt_agent", "/queue/cases")])
def test_a_work_queue_costs_the_same_queries_for_10_and_100_rows(login, app, user, url):
    bulk_cases("150621", 10, batch="S")
    client = login(user)
    small, page = _queries(client, url)
    assert page.count("批量项目S") == 10
    bulk_cases("150621", 90, batch="L")
    large, page = _queries(client, url)
    assert page.count("批量项目") == 100
    assert len(large) == len(small), "\n".join(large)
