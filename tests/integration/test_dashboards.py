"""Landing dashboards by role and the navbar's to-do count: every figure against a hand-built fixture, every
link landing on exactly the rows it counted, row scope, no external host, and a query count that does not
grow with the data."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.models import (
    Case,
    CaseItem,
    CatalogItem,
    Decision,
    Department,
    Enterprise,
    Escalation,
    Evaluation,
    JointReview,
    MonthlyReport,
    Project,
    Region,
    Staff,
    TrainingAttendance,
    TrainingPlan,
    TrainingSession,
)
from app.services import coverage, dashboards, training

D = dt.date
pytestmark = [
    pytest.mark.every_engine,
    pytest.mark.usefixtures("today_is"),
]  # 2026-11-27, a Friday: "this week" runs to Sunday the 29th
# every_engine: tile counts and charts aggregated in SQL

DLT, YJHL, CITY = "150621", "150627", "150600"
WATER, LAND = "取水许可审批", "建设用地规划许可证核发"


# --- the hand-built world ----------------------------------------------------------------------------------


@dataclass
class World:
    """Ids of what the fixture built, by the names the tests use."""

    regions: dict[str, Region] = field(default_factory=dict)
    cases: dict[str, int] = field(default_factory=dict)
    departments: dict[tuple[str, str], int] = field(default_factory=dict)
    staff: dict[str, int] = field(default_factory=dict)

    def case_number(self, name: str) -> str:
        return db.session.get(Case, self.cases[name]).number


class Builder:
    """Rows inserted directly (dates chosen by hand, no workflow needed): each figure's answer is known."""

    def __init__(self, world: World, tag: str = "") -> None:
        self.world, self.tag, self.serial = world, tag, 0
        for code in (DLT, YJHL, CITY):
            region = db.session.scalar(select(Region).where(Region.code == code))
            world.regions[code] = region
            for kind, key in (("水利部门", "water"), ("自然资源部门", "land")):
                department = db.session.scalar(
                    select(Department).where(Department.region_id == region.id, Department.kind == kind)
                )
                world.departments[(code, key)] = department.id
        for user in db.session.scalars(select(Staff)):
            world.staff[user.username] = user.id
        self.catalog = {
            (code, name): db.session.scalar(
                select(CatalogItem).where(CatalogItem.region_id == world.regions[code].id, CatalogItem.name == name)
            )
            for code in (DLT, YJHL, CITY)
            for name in (WATER, LAND)
        }

    def case(self, name: str, code: str, state: str, applied: dt.date, agent: str | None = None, **values) -> Case:
        self.serial += 1
        region = self.world.regions[code]
        code_no = f"91X{self.tag or '0'}{self.serial:014d}"  # unique per region (no checksum needed here)
        company = Enterprise(region_id=region.id, name=f"{name}企业", credit_code=code_no)
        db.session.add(company)
        db.session.flush()
        project = Project(region_id=region.id, enterprise_id=company.id, name=f"{name}项目")
        db.session.add(project)
        db.session.flush()
        case = Case(
            number=f"{code}-T{self.tag}{self.serial:05d}",
            region_id=region.id,
            project_id=project.id,
            channel="window",
            state=state,
            agent_id=self.world.staff[agent] if agent else None,
            applied_on=applied,
            enterprise_name=company.name,
            credit_code=company.credit_code,
            project_name=project.name,
            **values,
        )
        db.session.add(case)
        db.session.flush()
        self.world.cases[name] = case.id
        return case

    def item(self, case: Case, name: str, state: str, **values) -> CaseItem:
        code = next(c for c, r in self.world.regions.items() if r.id == case.region_id)
        entry = self.catalog[(code, name)]
        item = CaseItem(
            case_id=case.id,
            catalog_item_id=entry.id,
            catalog_version=entry.version,
            name=entry.name,
            department_id=entry.department_id,
            stage=entry.stage,
            time_limit_days=20,
            state=state,
            **values,
        )
        db.session.add(item)
        return item

    def evaluate(self, case: Case, level: str, on: dt.date) -> None:
        db.session.add(Evaluation(case_id=case.id, level=level, evaluated_on=on))


def build_world(world: World, tag: str = "") -> None:
    """The fixture every figure is checked against (the expected values are in the tests below)."""
    b = Builder(world, tag)
    # 达拉特旗, the agent dlt_agent's cases.
    d1 = b.case("D1", DLT, "in_progress", D(2026, 9, 1), "dlt_agent", planned_end=D(2026, 12, 31))
    b.item(d1, WATER, "in_review", accepted_on=D(2026, 10, 20), due_on=D(2026, 11, 20))  # red
    b.item(d1, LAND, "accepted", accepted_on=D(2026, 10, 30), due_on=D(2026, 11, 28))  # this week
    d2 = b.case("D2", DLT, "in_progress", D(2026, 9, 15), "dlt_agent", planned_end=D(2027, 1, 31))
    b.item(d2, WATER, "supplement", accepted_on=D(2026, 11, 2), due_on=D(2026, 12, 15), paused_since=D(2026, 11, 10))
    b.item(d2, LAND, "in_review", accepted_on=D(2026, 11, 2), due_on=D(2026, 11, 29))  # Sunday: this week
    d3 = b.case("D3", DLT, "entrusted", D(2026, 11, 2), "dlt_agent", step_due_on=D(2026, 11, 20))  # stalled
    b.item(d3, WATER, "planned")
    d4 = b.case("D4", DLT, "accepted", D(2026, 11, 20), "dlt_agent", step_due_on=D(2026, 12, 10))
    b.item(d4, LAND, "planned")
    d5 = b.case("D5", DLT, "completed", D(2026, 6, 10), "dlt_agent", closed_on=D(2026, 10, 15))
    b.item(d5, WATER, "approved", accepted_on=D(2026, 7, 1), closed_on=D(2026, 7, 17), used_days=12)
    b.item(d5, LAND, "approved", accepted_on=D(2026, 7, 1), closed_on=D(2026, 8, 5), used_days=25)
    b.evaluate(d5, "very_satisfied", D(2026, 10, 20))
    d6 = b.case("D6", DLT, "evaluated", D(2026, 7, 1), "dlt_agent", closed_on=D(2026, 11, 5))
    b.item(d6, WATER, "approved", accepted_on=D(2026, 8, 1), closed_on=D(2026, 8, 27), used_days=18)
    b.item(d6, LAND, "rejected", accepted_on=D(2026, 8, 1), closed_on=D(2026, 8, 13), used_days=9)
    b.evaluate(d6, "dissatisfied", D(2026, 11, 10))
    b.case("D7", DLT, "submitted", D(2026, 11, 26), step_due_on=D(2026, 11, 30))
    b.case("D8", DLT, "terminated", D(2025, 10, 1), "dlt_agent", closed_on=D(2025, 12, 1))
    # 伊金霍洛旗
    y1 = b.case("Y1", YJHL, "in_progress", D(2026, 10, 15), planned_end=D(2027, 3, 1))
    b.item(y1, WATER, "in_review", accepted_on=D(2026, 10, 16), due_on=D(2026, 11, 2))  # red
    y2 = b.case("Y2", YJHL, "completed", D(2026, 8, 1), closed_on=D(2026, 11, 10))
    b.item(y2, WATER, "approved", accepted_on=D(2026, 8, 3), closed_on=D(2026, 9, 20), used_days=30)
    b.evaluate(y2, "satisfied", D(2026, 11, 12))
    # 鄂尔多斯市 (the city itself)
    c1 = b.case("C1", CITY, "planned", D(2026, 11, 3), "agent", planned_end=D(2026, 12, 20))
    b.item(c1, WATER, "planned", planned_filing_on=D(2026, 11, 25))  # filing overdue: red
    b.item(c1, LAND, "planned", planned_filing_on=D(2026, 12, 1))
    db.session.flush()

    # 会商联审: decisions of departments, escalations waiting.
    water, land = world.departments[(DLT, "water")], world.departments[(DLT, "land")]
    meeting = JointReview(region_id=world.regions[DLT].id, held_on=D(2026, 11, 2), topic="协调", state="held")
    other = JointReview(region_id=world.regions[YJHL].id, held_on=D(2026, 11, 3), topic="协调", state="held")
    db.session.add_all([meeting, other])
    db.session.flush()
    db.session.add_all(
        [
            Decision(
                review_id=meeting.id, text="出具取水意见", department_id=water, case_id=d1.id, due_on=D(2026, 11, 20)
            ),
            Decision(review_id=meeting.id, text="补充论证", department_id=water, case_id=d2.id, due_on=D(2026, 12, 5)),
            Decision(review_id=meeting.id, text="用地预审", department_id=land, case_id=d1.id, state="done"),
            Decision(
                review_id=other.id,
                text="伊旗取水",
                department_id=world.departments[(YJHL, "water")],
                case_id=y1.id,
                due_on=D(2026, 12, 1),
            ),
        ]
    )
    for region, case, state in ((DLT, d1, "waiting"), (DLT, d2, "taken"), (YJHL, y1, "waiting")):
        db.session.add(
            Escalation(
                region_id=world.regions[region].id,
                case_id=case.id,
                reason="卡住",
                state=state,
                raised_on=D(2026, 11, 1),
            )
        )

    # 培训: hours of 2026 (present only); a 2025 plan does not count.
    for code, year, hours, present, absent in (
        (DLT, 2026, "3.0", ("dlt_agent", "dlt_liaison_water"), ("dlt_liaison_land",)),
        (DLT, 2025, "2.0", ("dlt_agent",), ()),
        (CITY, 2026, "1.5", ("supervisor", "agent"), ()),
    ):
        plan = TrainingPlan(region_id=world.regions[code].id, year=year, title=f"{code}培训{year}")
        db.session.add(plan)
        db.session.flush()
        session = TrainingSession(plan_id=plan.id, held_on=D(year, 5, 10), hours=Decimal(hours), topic="业务")
        db.session.add(session)
        db.session.flush()
        for name, status in [(n, "present") for n in present] + [(n, "absent") for n in absent]:
            db.session.add(TrainingAttendance(session_id=session.id, staff_id=world.staff[name], status=status))

    # 月度报告 of October 2026: 达拉特旗 on time, 伊金霍洛旗 late, the other banners missing.
    for code, day in ((DLT, 20), (YJHL, 28)):
        db.session.add(
            MonthlyReport(
                region_id=world.regions[code].id,
                month=D(2026, 10, 1),
                version=1 + (ord(tag) if tag else 0),  # a larger fixture resubmits
                figures="{}",
                submitted_at=dt.datetime(2026, 10, day, 10, 0),
            )
        )
    db.session.commit()


@pytest.fixture
def world(app) -> World:
    built = World()
    build_world(built)
    return built


# --- reading a dashboard ----------------------------------------------------------------------------------


def charts_of(page: str) -> dict[str, dict]:
    """Each figure's spec as the page hands it to ECharts, by chart key."""
    found = re.findall(r'<div class="echart" id="chart-([\w-]+)" data-chart="([^"]*)"', page)
    return {key: json.loads(html.unescape(spec)) for key, spec in found}


def values(spec: dict) -> dict[str, dict[str, object]]:
    """series name → category → value (None values left out)."""
    return {
        s["name"]: {
            c: d["value"] for c, d in zip(spec["categories"], s["data"], strict=False) if d["value"] is not None
        }
        for s in spec["series"]
    }


def urls(spec: dict) -> dict[str, dict[str, str]]:
    return {
        s["name"]: {c: d["url"] for c, d in zip(spec["categories"], s["data"], strict=False) if d["url"]}
        for s in spec["series"]
    }


def dashboard(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def listed_cases(client, url: str) -> list[str]:
    """The case numbers a list page shows (one link per row)."""
    response = client.get(html.unescape(url))
    assert response.status_code == 200, url
    return re.findall(r'class="case-no"[^>]*>([^<]+)<', response.get_data(as_text=True))


def tiles_of(page: str) -> dict[str, tuple[int, str]]:
    """Each count tile's number and link, by figure."""
    found = re.findall(
        r'data-figure="(\w+)">\s*<div class="tile-n"><a class="tile-link" href="([^"]+)"[^>]*>(\d+)<', page
    )
    return {key: (int(n), html.unescape(url)) for key, url, n in found}


# --- the supervisor's figures -------------------------------------------------------------------------------


def test_the_city_supervisor_sees_cases_by_region_and_state_and_each_bar_opens_exactly_its_cases(login, world):
    client = login("supervisor")
    spec = charts_of(dashboard(client))["cases-by-region"]
    assert spec["categories"] == ["鄂尔多斯市", "达拉特旗", "伊金霍洛旗"]
    assert values(spec) == {
        "已申请": {"达拉特旗": 1},
        "已受理": {"达拉特旗": 1},
        "已签约": {"达拉特旗": 1},
        "方案已定": {"鄂尔多斯市": 1},
        "办理中": {"达拉特旗": 2, "伊金霍洛旗": 1},
        "已办结": {"达拉特旗": 1, "伊金霍洛旗": 1},
        "已回访": {"达拉特旗": 1},
        "已终止": {"达拉特旗": 1},
    }
    links = urls(spec)
    assert sorted(listed_cases(client, links["办理中"]["达拉特旗"])) == sorted(
        world.case_number(n) for n in ("D1", "D2")
    )
    assert listed_cases(client, links["方案已定"]["鄂尔多斯市"]) == [world.case_number("C1")]
    for series, by_region in links.items():
        for region, url in by_region.items():
            assert len(listed_cases(client, url)) == values(spec)[series][region], (series, region)


def test_new_and_completed_cases_are_counted_per_month_over_twelve_months(login, world):
    client = login("supervisor")
    spec = charts_of(dashboard(client))["monthly-flow"]
    assert spec["categories"][0] == "2025-12" and spec["categories"][-1] == "2026-11" and len(spec["categories"]) == 12
    got = values(spec)
    new = {m: n for m, n in got["新受理申请"].items() if n}
    assert new == {"2026-06": 1, "2026-07": 1, "2026-08": 1, "2026-09": 2, "2026-10": 1, "2026-11": 4}
    assert {m: n for m, n in got["已办结"].items() if n} == {"2026-10": 1, "2026-11": 2}  # D8 terminated: no
    links = urls(spec)
    assert sorted(listed_cases(client, links["新受理申请"]["2026-11"])) == sorted(
        world.case_number(n) for n in ("D3", "D4", "D7", "C1")
    )
    assert sorted(listed_cases(client, links["已办结"]["2026-11"])) == sorted(
        world.case_number(n) for n in ("D6", "Y2")
    )
    assert listed_cases(client, links["新受理申请"]["2026-01"]) == []


def test_open_items_by_department_carry_their_overdue_share_and_open_the_counted_items(login, world):
    client = login("supervisor")
    spec = charts_of(dashboard(client))["department-load"]
    assert spec["categories"] == [
        "达拉特旗水利局 (33%)",
        "鄂尔多斯市水利局 (100%)",
        "伊金霍洛旗水利局 (100%)",
        "达拉特旗自然资源局 (0%)",
        "鄂尔多斯市自然资源局 (0%)",
    ]
    got = values(spec)
    assert list(got["在办事项"].values()) == [3, 1, 1, 3, 1]
    assert list(got["已超期"].values()) == [1, 1, 1, 0, 0]
    for series, by_department in urls(spec).items():
        for department, url in by_department.items():
            assert len(listed_cases(client, url)) == got[series][department], (series, department)


def test_working_days_used_give_the_median_and_the_worst_against_the_limit(login, world):
    client = login("supervisor")
    spec = charts_of(dashboard(client))["working-days"]
    got = values(spec)
    assert got["中位数"] == {WATER: 18, LAND: 17}  # 12, 18, 30 → 18; 9, 25 → 17
    assert got["最长"] == {WATER: 30, LAND: 25}
    assert got["办理时限"] == {WATER: 20, LAND: 20}
    worst = next(s for s in spec["series"] if s["name"] == "最长")
    assert set(worst["colors"]) == {"#d9534f"}  # both worst cases are past the 20-day limit
    links = urls(spec)
    assert sorted(listed_cases(client, links["中位数"][WATER])) == sorted(
        world.case_number(n) for n in ("D5", "D6", "Y2")
    )
    assert listed_cases(client, links["最长"][LAND]) == [world.case_number("D5")]


def test_the_median_of_an_even_group_is_the_mean_of_its_two_middle_rows(app, staff):
    world = World()
    b = Builder(world)
    for n, days in enumerate((4, 10, 7, 30)):
        case = b.case(f"M{n}", DLT, "completed", D(2026, 3, 1), closed_on=D(2026, 5, 1))
        b.item(case, WATER, "approved", used_days=days)
    db.session.commit()
    rows = dashboards.working_days(dashboards.scope_of(staff("dlt_supervisor")))
    assert [(r.name, r.n, r.median, r.worst) for r in rows] == [(WATER, 4, 8.5, 30)]


def test_satisfaction_per_region_links_to_the_evaluated_cases(login, world):
    client = login("supervisor")
    spec = charts_of(dashboard(client))["satisfaction"]
    assert spec["categories"] == ["达拉特旗（满意率 50%）", "伊金霍洛旗（满意率 100%）"]
    got = values(spec)
    assert got == {
        "非常满意": {spec["categories"][0]: 1},
        "满意": {spec["categories"][1]: 1},
        "不满意": {spec["categories"][0]: 1},
    }
    links = urls(spec)
    assert listed_cases(client, links["不满意"][spec["categories"][0]]) == [world.case_number("D6")]
    assert listed_cases(client, links["满意"][spec["categories"][1]]) == [world.case_number("Y2")]


def _decision_rows(client, url: str) -> int:
    response = client.get(html.unescape(url))
    assert response.status_code == 200
    return len(re.findall(r'href="/reviews/\d+"', response.get_data(as_text=True)))


def test_open_decisions_overdue_ones_and_waiting_escalations_open_their_lists(login, world):
    client = login("supervisor")
    spec = charts_of(dashboard(client))["coordination"]
    assert list(values(spec)["数量"].values()) == [3, 1, 2]
    links = list(urls(spec)["数量"].values())
    assert _decision_rows(client, links[0]) == 3
    assert _decision_rows(client, links[1]) == 1
    escalations = client.get(links[2]).get_data(as_text=True)
    assert escalations.count("卡住") == 2


def test_training_hours_per_region_sum_the_hours_page_of_that_region(login, world, staff):
    client = login("supervisor")
    spec = charts_of(dashboard(client))["training-hours"]
    got = values(spec)["参训学时"]
    assert got["达拉特旗"] == 6.0 and got["鄂尔多斯市"] == 3.0 and got["伊金霍洛旗"] == 0
    supervisor = staff("supervisor")
    for region, url in urls(spec)["参训学时"].items():
        region_id = int(re.search(r"region=(\d+)", url).group(1))
        rows = training.hours_by_person(2026, supervisor, region_id)
        assert float(sum(r.hours for r in rows)) == got[region], region
        assert client.get(url).status_code == 200


def test_liaison_coverage_gaps_per_region_come_from_the_coverage_page(login, world, staff):
    client = login("supervisor")
    spec = charts_of(dashboard(client))["coverage"]
    expected = {
        r.region.name: (len(r.departments) - len(r.gaps), len(r.gaps)) for r in coverage.coverage(staff("supervisor"))
    }
    got = values(spec)
    assert {r: (got["有代办员"].get(r, 0), got["无代办员"].get(r, 0)) for r in spec["categories"]} == expected
    assert got["有代办员"]["达拉特旗"] == 2  # the water and the land liaison
    page = client.get(urls(spec)["无代办员"]["达拉特旗"].split("#")[0]).get_data(as_text=True)
    assert page.count('data-covered="no"') == sum(gaps for _, gaps in expected.values())


def test_last_months_reports_are_on_time_late_or_missing_as_the_board_says(login, world):
    client = login("supervisor")
    spec = charts_of(dashboard(client))["monthly-reports"]
    banners = db.session.scalars(
        select(Region).where(Region.parent_id == world.regions[CITY].id, Region.level.in_(["banner", "zone"]))
    ).all()
    assert values(spec)["旗区"] == {"按时报送": 1, "逾期报送": 1, "未报送": len(banners) - 2}
    board = client.get(urls(spec)["旗区"]["按时报送"]).get_data(as_text=True)
    assert "2026-10" in board and "达拉特旗" in board


# --- scope ----------------------------------------------------------------------------------------------------


def test_a_banner_supervisors_dashboard_holds_no_other_banners_numbers(login, world):
    page = dashboard(login("dlt_supervisor"))
    specs = charts_of(page)
    assert specs["cases-by-region"]["categories"] == ["达拉特旗"]
    assert sum(v for s in values(specs["cases-by-region"]).values() for v in s.values()) == 8
    assert specs["department-load"]["categories"] == ["达拉特旗水利局 (33%)", "达拉特旗自然资源局 (0%)"]
    assert values(specs["working-days"])["最长"] == {WATER: 18, LAND: 25}  # not 伊金霍洛旗's 30
    assert list(values(specs["coordination"])["数量"].values()) == [2, 1, 1]
    assert values(specs["training-hours"])["参训学时"] == {"达拉特旗": 6.0}
    assert values(specs["monthly-reports"])["旗区"] == {"按时报送": 1, "逾期报送": 0, "未报送": 0}
    content = page.split('class="dashboard ')[1].split("<footer")[0]
    for other in ("伊金霍洛旗", "鄂尔多斯市", "东胜区", world.case_number("Y1"), world.case_number("C1")):
        assert other not in content, other


def test_a_liaisons_dashboard_holds_only_their_departments_items_and_decisions(login, world):
    water = tiles_of(dashboard(login("dlt_liaison_water")))
    assert {k: n for k, (n, _) in water.items()} == {"overdue": 1, "week": 0, "paused": 1, "decisions": 2}
    land = tiles_of(dashboard(login("dlt_liaison_land")))
    assert {k: n for k, (n, _) in land.items()} == {"overdue": 0, "week": 2, "paused": 0, "decisions": 0}
    client = login("dlt_liaison_land")
    assert sorted(listed_cases(client, land["week"][1])) == sorted(world.case_number(n) for n in ("D1", "D2"))
    client = login("dlt_liaison_water")
    page = dashboard(client)
    assert "补充论证" in page and "伊旗取水" not in page and "用地预审" not in page
    assert listed_cases(client, water["overdue"][1]) == [world.case_number("D1")]
    assert listed_cases(client, water["paused"][1]) == [world.case_number("D2")]
    assert _decision_rows(client, water["decisions"][1]) == 2


# --- the agent's and the admin's -------------------------------------------------------------------------------


def test_an_agent_sees_their_overdue_this_weeks_paused_and_stalled_cases_with_the_first_rows(login, world):
    client = login("dlt_agent")
    page = dashboard(client)
    tiles = tiles_of(page)
    assert {k: n for k, (n, _) in tiles.items()} == {"overdue": 2, "week": 1, "paused": 1, "stalled": 1}
    expected = {"overdue": ("D1", "D3"), "week": ("D2",), "paused": ("D2",), "stalled": ("D3",)}
    for key, names in expected.items():
        assert sorted(listed_cases(client, tiles[key][1])) == sorted(world.case_number(n) for n in names), key
    overdue_tile = page.split('data-figure="overdue"')[1].split('data-figure="week"')[0]
    # Nearest deadline first: D3's sign-off limit (11-20) and D1's water item (11-20), then by id.
    assert re.findall(r'class="case-no"[^>]*>([^<]+)<', overdue_tile) == [
        world.case_number("D1"),
        world.case_number("D3"),
    ]


def test_the_admin_sees_calendar_years_liaison_gaps_and_retired_entries_still_in_open_items(login, world, staff):
    land = db.session.scalar(
        select(CatalogItem).where(CatalogItem.region_id == world.regions[DLT].id, CatalogItem.name == LAND)
    )
    land.retired_at = dt.datetime(2026, 11, 1)
    db.session.commit()
    client = login("admin")
    page = dashboard(client)
    assert 'data-year="2026" data-source="builtin"' in page and 'data-year="2027" data-source="missing"' in page
    gaps = coverage.gap_count(staff("admin"))
    assert f"{gaps} 个审批部门尚无部门代办员" in page
    retired = re.search(r'id="retired-items" href="([^"]+)"[^>]*>(\d+)<', page)
    assert int(retired.group(2)) == 3  # D1, D2 and D4's land items are open; D5's and D6's are closed
    assert sorted(listed_cases(client, retired.group(1))) == sorted(world.case_number(n) for n in ("D1", "D2", "D4"))


# --- the navbar's to-do count ----------------------------------------------------------------------------------


def _todo(page: str) -> tuple[int, str]:
    found = re.search(r'<a id="todo-count" href="([^"]+)"[\s\S]*?<span class="badge"[^>]*>(\d+)</span>', page)
    return int(found.group(2)), html.unescape(found.group(1))


def _todo_lines(page: str) -> dict[str, tuple[int, str]]:
    found = re.findall(r'<a class="todo-line" data-todo="(\w+)" href="([^"]+)">[^<]*<span class="badge">(\d+)<', page)
    return {key: (int(n), html.unescape(url)) for key, url, n in found}


def _rows_behind(client, key: str, url: str) -> int:
    """How many rows the list a figure links to shows."""
    page = client.get(url).get_data(as_text=True)
    if key == "decisions":
        return len(re.findall(r'href="/reviews/\d+"', page))
    return len(re.findall(r'class="case-no"', page))  # case and item lists: one case link a row


@pytest.mark.parametrize(
    ("user", "figures", "url"),
    [
        # D1, D3 and the untaken application D9 overdue; D2 this week; decisions on D1 and D2.
        ("dlt_agent", {"overdue": 3, "week": 1, "decisions": 2}, "/queue/cases"),
        ("dlt_liaison_water", {"overdue": 1, "week": 0, "decisions": 2}, "/queue/items"),
        ("dlt_liaison_land", {"overdue": 0, "week": 2, "decisions": 0}, "/queue/items"),
        ("dlt_supervisor", {"overdue": 3, "week": 1, "decisions": 2}, "/dashboard/"),
        ("supervisor", {"overdue": 5, "week": 1, "decisions": 3}, "/dashboard/"),  # + Y1, C1; + 伊旗 decision
    ],
)
def test_every_page_carries_the_to_do_count_and_each_of_its_figures_opens_exactly_its_rows(
    login, world, user, figures, url
):
    Builder(world, "N").case("D9", DLT, "submitted", D(2026, 8, 20), step_due_on=D(2026, 8, 25))  # nobody took it
    db.session.commit()
    client = login(user)
    for path in ("/", "/caseitems/list/", "/training/hours/"):
        page = client.get(path).get_data(as_text=True)
        assert _todo(page) == (sum(figures.values()), url), path
    lines = _todo_lines(page)
    assert {key: n for key, (n, _) in lines.items()} == figures
    for key, (n, link) in lines.items():
        assert _rows_behind(client, key, link) == n, (user, key, link)


def test_an_application_nobody_took_is_on_the_agents_tiles_as_in_their_queue(login, world):
    Builder(world, "N").case("D9", DLT, "submitted", D(2026, 8, 20), step_due_on=D(2026, 8, 25))
    db.session.commit()
    client = login("dlt_agent")
    tiles = tiles_of(dashboard(client))
    assert tiles["overdue"][0] == 3 and world.case_number("D9") in listed_cases(client, tiles["overdue"][1])
    queue = client.get("/queue/cases").get_data(as_text=True)
    assert world.case_number("D9") in queue


def test_the_to_do_count_is_computed_for_whoever_is_signed_in_on_each_request(login, world):
    assert _todo(dashboard(login("dlt_agent")))[0] == 5
    assert _todo(dashboard(login("dlt_liaison_water")))[0] == 3  # the same app context, another user


def test_a_visitor_sees_only_the_sign_in_link_and_no_count(client, world):
    page = client.get("/").get_data(as_text=True)
    assert "/login/" in page and 'id="todo-count"' not in page and "echart" not in page


def test_the_to_do_count_costs_the_same_queries_however_much_there_is_to_do(login, app):
    small = World()
    build_world(small, "S")
    client = login("supervisor")
    before = _queries(client, "/training/hours/")
    for tag in "ABCDEFGHI":
        build_world(World(), tag)
    assert len(_queries(client, "/training/hours/")) == len(before)


# --- no external host, and queries that do not grow ---------------------------------------------------------------

USERS = ("supervisor", "dlt_supervisor", "dlt_agent", "dlt_liaison_water", "admin")


@pytest.mark.parametrize("user", USERS)
def test_no_dashboard_references_an_external_host(login, world, user):
    page = dashboard(login(user))
    assert not re.search(r"""(src|href|action)\s*=\s*["']?\s*(https?:)?//""", page, re.IGNORECASE)
    assert "http://" not in page and "https://" not in page
    if user.endswith("supervisor"):
        assert "/static/vendor/echarts/echarts.min.js" in page and page.count('class="echart"') == 9


@contextmanager
def counted():
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _queries(client, url: str) -> list[str]:
    client.get(url)  # warm the login's caches
    with counted() as statements:
        assert client.get(url).status_code == 200
    return statements


@pytest.mark.parametrize("user", USERS)
def test_a_dashboard_runs_as_many_queries_for_ten_times_the_data(login, app, user):
    build_world(World(), "S")
    client = login(user)
    small = _queries(client, "/")
    for tag in "ABCDEFGHI":
        build_world(World(), tag)
    large = _queries(client, "/")
    assert len(large) == len(small), "\n".join(large)


def test_the_dashboard_page_needs_its_permission_and_each_role_gets_its_own(login, world):
    for user, board in (
        ("admin", "admin"),
        ("supervisor", "supervisor"),
        ("dlt_agent", "agent"),
        ("dlt_liaison_land", "liaison"),
    ):
        page = login(user).get("/dashboard/").get_data(as_text=True)
        assert f'data-board="{board}"' in page, user
    assert dashboards.board_for(None) is None


@pytest.mark.parametrize(
    "query",
    [
        "/caselist/list/?_flt_0_applied_in=2026-13",
        "/caselist/list/?_flt_0_completed_in=last-month",
        "/caselist/list/?_flt_0_overdue=handling",
        "/caselist/list/?_flt_0_evaluation=meh",
        "/caselist/list/?_flt_0_warning=fortnight",
        "/caseitems/list/?_flt_0_progress=maybe",
        "/caseitems/list/?_flt_0_retired=0",
    ],
)
def test_a_dashboard_filter_value_that_is_not_one_of_its_choices_filters_nothing(login, world, query):
    client = login("supervisor")
    everything = listed_cases(client, query.split("?")[0])
    assert listed_cases(client, query) == everything
