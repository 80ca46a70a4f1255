"""Ids past 32 bits and dates no calendar holds, in query strings and forms, are refused before any query.

The probe found each of these answering 500 on PostgreSQL or SQLite (the driver's integer overflowed, or date
arithmetic passed 9999-12-31). They are checked once, for every page, beside the path ids of the URL map.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import Case, Region
from app.models.leads import Lead
from app.views.base import out_of_range_argument, without_impossible_ids
from tests.factories import apply

pytestmark = [pytest.mark.every_engine, pytest.mark.usefixtures("today_is")]
# every_engine: out-of-range values meet each engine's driver
BIG = ("2147483648", "9223372036854775808", "99999999999999999999999")


def _a_lead(staff) -> Lead:
    from app.services.demo_followup import seed_demo_leads

    seed_demo_leads()
    return db.session.scalars(select(Lead).order_by(Lead.id)).first()


@pytest.mark.parametrize("big", BIG)
def test_an_id_past_32_bits_is_no_record_in_a_query_string_and_no_choice_in_a_form_on_every_engine(login, staff, big):
    case = apply(staff("dlt_agent"))
    city = db.session.scalar(select(Region.id).where(Region.code == "150600"))
    supervisor = login("supervisor")
    assert supervisor.get(f"/reviews/new?region_id={big}").status_code == 404
    assert supervisor.get(f"/reviews/new?region_id={city}").status_code == 200
    agent = login("dlt_agent")
    for url, data in (
        (f"/reviews/escalate/{case.id}", {"item_id": big, "reason": "x"}),
        ("/materials/add", {"item_id": big, "name": "x"}),
        (f"/cases/{case.id}/agent", {"agent_id": big, "version": case.version}),
    ):
        assert agent.post(url, data=data).status_code in (302, 400, 404), url
    lead = _a_lead(staff)
    owner = login("supervisor" if lead.region.code == "150600" else "dlt_supervisor")
    assert owner.post(f"/leads/{lead.id}/edit", data={"owner_id": big}).status_code in (200, 302)
    db.session.expire_all()
    assert db.session.get(Case, case.id).version == case.version  # nothing written
    assert db.session.get(Lead, lead.id).owner_id == lead.owner_id


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "20261-01-01"])
def test_a_date_no_calendar_holds_is_a_bad_request(login, day):
    client = login("supervisor")
    assert client.get(f"/analysis/pivot/?to={day}").status_code == 400
    assert client.get("/analysis/pivot/?to=2026-12-31").status_code == 200


@pytest.mark.sqlite_only
def test_the_one_check_reads_every_id_and_date_field_and_leaves_the_rest():
    assert out_of_range_argument(MultiDict({"catalog_item_id": "2147483647", "q": "2147483648"})) is None
    assert out_of_range_argument(MultiDict([("x", "1"), ("catalog_item_id", "2147483648")])) == 404
    assert out_of_range_argument(MultiDict({"id": "4294967296"})) == 404
    assert out_of_range_argument(MultiDict({"on": "2026-02-30"})) is None  # a wrong day is the page's to explain
    assert out_of_range_argument(MultiDict({"from": "1899-12-31"})) == 400
    form = MultiDict([("item_id", "2147483648"), ("item_id", "7"), ("note", "2147483648")])
    assert list(without_impossible_ids(form).items(multi=True)) == [
        ("item_id", ""),
        ("item_id", "7"),
        ("note", "2147483648"),
    ]
    assert without_impossible_ids(MultiDict({"item_id": "7", "on": "9999-12-31"})) is None
