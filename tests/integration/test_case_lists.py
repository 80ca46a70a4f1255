"""The case and item lists as a supervisor searches them: dropdowns of Chinese labels, scope-bound choices,
one search box, and a 预警 filter that agrees with the traffic lights shown in the rows."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from flask import g
from sqlalchemy import select, update

from app.extensions import db
from app.models import Case, CaseItem, Enterprise, Project, Staff
from app.services.lights import light_book
from tests.factories import bulk_cases

pytestmark = pytest.mark.every_engine  # list filters in SQL

NUMBER = re.compile(r"1506\d\d-2026-[A-Z]\d{4}")


def _filters(page: str) -> tuple[dict, dict, dict]:
    """The search widget's (labels, form fields, operators) as FAB hands them to its filter script."""
    start = page.index("new AdminFilters(")
    text = page[start:]
    text = text[text.index(",") + 1 :]
    decoder = json.JSONDecoder()
    found = []
    for _ in range(3):
        text = text.lstrip()
        value, end = decoder.raw_decode(text)
        found.append(value)
        text = text[end:].lstrip().removeprefix(",")
    return found[0], found[1], found[2]


def _fresh(client):
    """Tests share one app context across requests: forget the previous login's cached scope."""
    for name in ("scoped_regions", "light_book"):
        g.pop(name, None)
    return client


def _numbers(client, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    return set(NUMBER.findall(response.get_data(as_text=True)))


def _options(html: str) -> dict[str, str]:
    return dict(re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', html))


@pytest.fixture
def cases(app):
    """Ten in-progress and four submitted cases at 达拉特旗, three in-progress at 准格尔旗."""
    running = bulk_cases("150621", 10, batch="R")
    waiting = bulk_cases("150621", 4, state="submitted", batch="W")
    other = bulk_cases("150622", 3, batch="Z")
    return {"running": running, "waiting": waiting, "other": other}


def test_the_state_filter_offers_the_chinese_labels_and_finds_cases_under_way(login, cases):
    client = _fresh(login("dlt_supervisor"))
    labels, fields, _ = _filters(client.get("/caselist/list/").get_data(as_text=True))
    assert labels["state"] == "状态"
    assert _options(fields["state"])["in_progress"] == "办理中"
    assert _options(fields["channel"])["window"] == "帮您办窗口"
    found = _numbers(client, "/caselist/list/?_flt_0_state=in_progress&psize_CaseView=100")
    assert found == {f"150621-2026-R{k:04d}" for k in range(10)}


def test_a_value_that_is_not_a_choice_filters_nothing_and_answers_200(login, cases):
    client = _fresh(login("dlt_supervisor"))
    found = _numbers(client, "/caselist/list/?_flt_0_state=%E5%8A%9E%E7%90%86%E4%B8%AD&psize_CaseView=100")
    assert len(found) == 14
    assert len(_numbers(client, "/caselist/list/?_flt_0_agent=abc&psize_CaseView=100")) == 14
    assert len(_numbers(client, "/caselist/list/?_flt_0_region=99999999999999999999999")) == 14


def test_the_search_box_finds_a_case_by_number_enterprise_credit_code_or_project_code(login, cases):
    target = db.session.get(Case, cases["running"][3])
    project = db.session.get(Project, target.project_id)
    company = Enterprise(
        region_id=target.region_id, name="达拉特旗搜索测试化工有限公司", credit_code="91150621MA0N7XQ21K"
    )
    db.session.add(company)
    db.session.flush()
    project.enterprise_id = company.id
    project.code = "2026-150621-26-03-777888"
    target.enterprise_name = "达拉特旗旧名称化工厂"  # as submitted, before the enterprise was renamed
    db.session.commit()
    client = _fresh(login("dlt_supervisor"))
    for text in ("R0003", "搜索测试化工", "旧名称化工", "91150621ma0n7xq21k", "26-03-777888"):
        assert _numbers(client, f"/caselist/list/?_flt_0_search={text}") == {"150621-2026-R0003"}, text
    # The item list's box finds the same case's items, and items by name.
    page = client.get("/caseitems/list/?_flt_0_search=搜索测试化工").get_data(as_text=True)
    assert page.count("150621-2026-R0003") == 2 and "150621-2026-R0004" not in page
    # LIKE wildcards are text, not patterns.
    assert _numbers(client, "/caselist/list/?_flt_0_search=%25") == set()


def test_enterprise_and_project_filters_match_names_and_codes(login, cases):
    client = _fresh(login("dlt_supervisor"))
    assert len(_numbers(client, "/caselist/list/?_flt_0_project=批量项目W&psize_CaseView=100")) == 4
    assert len(_numbers(client, "/caselist/list/?_flt_0_enterprise=91350100M000100Y43&psize_CaseView=100")) == 14
    assert _numbers(client, "/caselist/list/?_flt_0_enterprise=没有这家企业") == set()


def test_city_staff_filter_by_region_and_banner_staff_get_no_region_dropdown(login, cases):
    client = _fresh(login("supervisor"))
    _, fields, _ = _filters(client.get("/caselist/list/").get_data(as_text=True))
    regions = _options(fields["region"])
    assert "达拉特旗" in regions.values() and "准格尔旗" in regions.values() and "内蒙古自治区" not in regions.values()
    zhungeer = next(k for k, v in regions.items() if v == "准格尔旗")
    assert _numbers(client, f"/caselist/list/?_flt_0_region={zhungeer}") == {f"150622-2026-Z{k:04d}" for k in range(3)}
    _, fields, _ = _filters(_fresh(login("dlt_supervisor")).get("/caselist/list/").get_data(as_text=True))
    assert "region" not in fields


def test_the_agent_dropdown_lists_only_agents_of_the_users_regions(login, cases, staff):
    colleague = Staff(
        username="dlt_agent2", first_name="达旗代办员二", last_name="", email="dlt_agent2@demo.invalid", active=False
    )
    colleague.region_id = staff("dlt_agent").region_id
    colleague.roles = list(staff("dlt_agent").roles)
    db.session.add(colleague)
    db.session.commit()
    client = _fresh(login("dlt_supervisor"))
    _, fields, _ = _filters(client.get("/caselist/list/").get_data(as_text=True))
    agents = _options(fields["agent"])
    assert sorted(agents.values()) == sorted(["刘晓燕", "达旗代办员二（已停用）"])
    agent_id = next(k for k, v in agents.items() if v == "刘晓燕")
    assert len(_numbers(client, f"/caselist/list/?_flt_0_agent={agent_id}&psize_CaseView=100")) == 14
    assert _numbers(client, f"/caselist/list/?_flt_0_agent={colleague.id}") == set()
    _, fields, _ = _filters(_fresh(login("supervisor")).get("/caselist/list/").get_data(as_text=True))
    assert {"白雪梅", "刘晓燕"} <= set(_options(fields["agent"]).values())
    assert not {"高永胜", "郝建华", "何志远"} & set(_options(fields["agent"]).values())


def test_the_item_list_filters_by_department_in_scope_and_a_liaison_gets_no_department_dropdown(login, cases):
    client = _fresh(login("dlt_supervisor"))
    _, fields, _ = _filters(client.get("/caseitems/list/").get_data(as_text=True))
    departments = _options(fields["department"])
    assert "达拉特旗水利局" in departments.values()
    assert not [name for name in departments.values() if "准格尔旗" in name]
    water = next(k for k, v in departments.items() if v == "达拉特旗水利局")
    page = client.get(f"/caseitems/list/?_flt_0_department={water}&psize_CaseItemView=100").get_data(as_text=True)
    assert page.count("取水许可审批") >= 14 and "建设用地规划许可证核发" not in page
    _, fields, _ = _filters(_fresh(login("dlt_liaison_water")).get("/caseitems/list/").get_data(as_text=True))
    assert "department" not in fields
    assert _options(fields["state"])["in_review"] == "审查中"


def _spread(cases: dict) -> None:
    """Give the 达拉特旗 cases every kind of deadline: paused, not filed yet, closed, plan end passed."""
    items = db.session.scalars(
        select(CaseItem).where(CaseItem.case_id.in_(cases["running"])).order_by(CaseItem.id)
    ).all()
    items[0].state, items[0].paused_since = "supplement", dt.date(2026, 11, 2)  # overdue item, clock paused
    items[2].state, items[2].planned_filing_on = "planned", dt.date(2026, 11, 30)  # filing due soon
    items[4].state, items[4].planned_filing_on = "preparing", dt.date(2026, 11, 20)  # filing overdue
    items[6].state = "approved"  # closed: no light
    db.session.execute(update(Case).where(Case.id == cases["running"][8]).values(planned_end=dt.date(2026, 11, 20)))
    db.session.execute(update(Case).where(Case.id == cases["running"][9]).values(planned_end=dt.date(2026, 11, 30)))
    db.session.commit()


@pytest.mark.parametrize("day", ["2026-11-04", "2026-11-27", "2026-12-08"])
def test_the_warning_filter_selects_exactly_the_rows_whose_light_is_red_or_yellow(login, app, cases, monkeypatch, day):
    _spread(cases)
    monkeypatch.setitem(app.config, "TODAY", day)
    book = light_book()
    everything = db.session.scalars(select(Case).where(Case.id.in_(cases["running"] + cases["waiting"]))).all()
    by_light = {case.number: book.case(case).value for case in everything}
    expected = {
        "red": {n for n, light in by_light.items() if light == "red"},
        "yellow": {n for n, light in by_light.items() if light == "yellow"},
    }
    expected["any"] = expected["red"] | expected["yellow"]
    assert expected["red"] or day == "2026-11-04"
    client = _fresh(login("dlt_supervisor"))
    for level, numbers in expected.items():
        assert _numbers(client, f"/caselist/list/?_flt_0_warning={level}&psize_CaseView=100") == numbers, level
    items = db.session.scalars(select(CaseItem).where(CaseItem.case_id.in_(cases["running"] + cases["waiting"]))).all()
    for level in ("red", "yellow"):
        wanted = sorted(i.id for i in items if book.item(i).value == level)
        page = client.get(f"/caseitems/list/?_flt_0_warning={level}&psize_CaseItemView=100").get_data(as_text=True)
        assert page.count(f"light-{level}") == len(wanted) == len(re.findall(r"light-(?:red|yellow)", page)), level


def test_the_toolbar_search_box_keeps_the_other_filters(login, cases):
    page = _fresh(login("dlt_supervisor")).get("/caselist/list/?_flt_0_state=submitted").get_data(as_text=True)
    box = page[page.index('id="case-search"') :]
    box = box[: box.index("</form>")]
    assert 'name="_flt_0_search"' in box
    assert 'name="_flt_0_state" value="submitted"' in box


def test_the_ledger_export_follows_the_new_filters(login, cases):
    import io

    import openpyxl

    response = _fresh(login("dlt_supervisor")).get("/caselist/ledger?_flt_0_state=submitted")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    numbers = {
        cell
        for row in book["案件台账"].iter_rows(min_row=4, values_only=True)
        for cell in row
        if NUMBER.fullmatch(str(cell))
    }
    assert numbers == {f"150621-2026-W{k:04d}" for k in range(4)}


def test_a_list_counts_up_to_its_cap_and_then_says_more_than_with_pages_up_to_there(app, login, cases):
    client = _fresh(login("dlt_supervisor"))
    exact = client.get("/caselist/list/?psize_CaseView=5").get_data(as_text=True)
    assert "list-count capped" not in exact
    assert re.search(r"<strong>记录数目:</strong>\s*14\b", exact)  # 达拉特旗's ten running and four waiting
    app.config["LIST_COUNT_CAP"] = 12
    capped = _fresh(client).get("/caselist/list/?psize_CaseView=5").get_data(as_text=True)
    assert re.search(r"list-count capped[^>]*>\s*<strong>记录数目:</strong>\s*多于 12", capped)
    assert len(NUMBER.findall(capped)) == 5  # the page itself is whole
    assert "page_CaseView=2" in capped  # pages up to the cap: 12 rows counted, 5 a page
    items = _fresh(client).get("/caseitems/list/").get_data(as_text=True)
    assert "多于 12" in items  # the item list counts the same way (each case has items)
    app.config["LIST_COUNT_CAP"] = 14
    assert "list-count capped" not in _fresh(client).get("/caselist/list/").get_data(as_text=True)
