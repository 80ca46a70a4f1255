"""Case numbers under concurrency: applications arriving together get distinct, gap-free numbers on every engine.

Counting the region's cases and adding one gave 20–33 % of concurrent public applications the same number (and a
500) on PostgreSQL. The threads below each run a whole application in their own session and transaction.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Case, NumberCounter, Region, Staff
from app.services import cases, channels, reports
from app.services.demo import _credit_code
from tests.factories import ENTERPRISE, PROJECT, apply, catalog_ids
from tests.integration.test_channels import form_values

pytestmark = [pytest.mark.every_engine, pytest.mark.usefixtures("today_is")]
# every_engine: counter rows taken under each engine's row lock
APPLICATIONS = 16


def _application(n: int) -> tuple[dict, dict]:
    enterprise = {**ENTERPRISE, "name": f"并发测试企业{n}", "credit_code": _credit_code("150621", 9000 + n)}
    project = {**PROJECT, "name": f"并发测试项目{n}", "code": f"2026-150621-44-01-{700000 + n:06d}"}
    return enterprise, project


def test_sixteen_applications_at_once_get_sixteen_distinct_gap_free_numbers(app, staff):
    first = int(apply(staff("dlt_agent")).number.rsplit("-", 1)[1])  # the series goes on from the numbers given
    region_id = db.session.scalar(select(Region.id).where(Region.code == "150621"))
    items = catalog_ids("150621", "取水许可审批")
    db.session.remove()
    start, errors, numbers = threading.Barrier(APPLICATIONS), [], []

    def submit(n: int) -> None:
        with app.app_context():
            enterprise, project = _application(n)
            try:
                start.wait(10)
                case = cases.submit_application(
                    region_id, enterprise, project, "website", dt.date(2026, 11, 27), items, None
                )
                numbers.append(case.number)
            except Exception as error:
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(APPLICATIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(numbers) == [f"150621-2026-{n:04d}" for n in range(first + 1, first + 1 + APPLICATIONS)]
    assert db.session.get(NumberCounter, "case:150621:2026").value == first + APPLICATIONS


def test_a_refused_application_gives_its_number_back(app, staff):
    agent = staff("dlt_agent")
    first = apply(agent)
    with pytest.raises(Exception):  # noqa: B017 - any refusal inside the transaction rolls the number back
        cases.submit_application(
            first.region_id,
            ENTERPRISE,
            {**PROJECT, "code": "2026-150621-44-01-800001"},
            "window",
            dt.date(2026, 9, 1),
            catalog_ids("150621", "取水许可审批"),
            agent,
            then=lambda case: (_ for _ in ()).throw(RuntimeError("refused after the number was taken")),
        )
    second = apply(agent)
    assert int(second.number.rsplit("-", 1)[1]) == int(first.number.rsplit("-", 1)[1]) + 1
    assert db.session.scalar(select(Case.id).where(Case.number.like("%-2026-%")).limit(1)) is not None


def _together(app, n: int, work) -> tuple[list, list[str]]:
    """Run `work(i)` in n threads released at once, each in its own session; its results and errors."""
    db.session.remove()
    start, results, errors = threading.Barrier(n), [], []

    def run(i: int) -> None:
        with app.app_context():
            try:
                start.wait(10)
                results.append(work(i))
            except Exception as error:
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results, errors


def test_monthly_reports_sent_at_once_get_distinct_versions(app, staff, region):
    app.config["TODAY"] = "2026-11-20"
    agent_id, region_id = staff("dlt_agent").id, region("150621").id
    first = reports.submit_report(region_id, dt.date(2026, 11, 1), "第一版", staff("dlt_agent")).version

    def send(i: int) -> int:
        return reports.submit_report(
            region_id, dt.date(2026, 11, 1), f"第{i}次", db.session.get(Staff, agent_id)
        ).version

    versions, errors = _together(app, 6, send)
    assert errors == []
    assert sorted(versions) == list(range(first + 1, first + 7))


def test_one_12345_ticket_entered_twice_at_once_makes_one_case(app, staff, region):
    agent_id = staff("dlt_agent").id
    values = form_values(region="150621")

    def enter(i: int) -> str:
        form = {**values, "enterprise_credit_code": _credit_code("150621", 9100 + i), "enterprise_name": f"热线企业{i}"}
        form |= {"project_code": f"2026-150621-44-01-{710000 + i:06d}", "project_name": f"热线项目{i}"}
        agent = db.session.get(Staff, agent_id)
        return channels.apply_online(form, channel="hotline", channel_ref="JS20261127-0042", actor=agent).number

    numbers, errors = _together(app, 6, enter)
    assert len(numbers) == 1
    assert len(errors) == 5 and all(isinstance(e, channels.ApplicationRefused) for e in errors), errors
    assert all(isinstance(e.problems["channel_ref"], channels.DuplicateTicket) for e in errors)
    assert db.session.scalars(select(Case.number).where(Case.channel_ref == "JS20261127-0042")).all() == numbers
