"""Liaison coverage (联络员覆盖): every approval department at every level should name a liaison."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Department, Staff
from app.services import coverage
from tests.conftest import PASSWORD

pytestmark = pytest.mark.every_engine  # coverage counted in SQL

# 10 service regions (the city and its 9 banners) × 10 approval kinds of seeds/departments.csv.
APPROVAL_DEPARTMENTS = 100
# The fixture's liaisons: 市水利局, 达拉特旗水利局, 达拉特旗自然资源局.
COVERED = 3


def _department(region, code: str, kind: str) -> Department:
    return db.session.scalar(select(Department).where(Department.region_id == region(code).id, Department.kind == kind))


def _add_liaison(login, region, username: str, department: Department) -> None:
    """An admin adds a liaison login in the department, through the user form."""
    liaison_role = db.session.scalar(select(Staff).where(Staff.username == "dlt_liaison_water")).roles[0]
    response = login("admin").post(
        "/users/add",
        data={
            "first_name": "贺建军",
            "username": username,
            "email": f"{username}@test.invalid",
            "active": "y",
            "region": str(department.region_id),
            "department": str(department.id),
            "roles": str(liaison_role.id),
            "password": PASSWORD,
            "conf_password": PASSWORD,
        },
    )
    assert response.status_code == 302


def _row(page: str, region_code: str, kind: str) -> str:
    panel = page.split(f'data-region="{region_code}"', 1)[1].split("</table>", 1)[0]
    return panel.split(f'data-department="{kind}"', 1)[1].split("</tr>", 1)[0]


def test_coverage_lists_each_approval_department_with_its_liaisons_and_the_gaps(staff):
    regions = coverage.coverage(staff("admin"))
    assert len(regions) == 10 and sum(len(r.departments) for r in regions) == APPROVAL_DEPARTMENTS
    dlt = next(r for r in regions if r.region.code == "150621")
    names = {d.department.kind: d.liaisons for d in dlt.departments}
    assert names["水利部门"] == ["张海军"] and names["自然资源部门"] == ["王丽娜"] and names["住建部门"] == []
    assert "政务服务部门" not in names and "商务部门" not in names  # not approval departments in the plan
    assert coverage.gap_count(staff("admin")) == APPROVAL_DEPARTMENTS - COVERED


def test_adding_a_liaison_closes_the_gap_on_the_page_and_the_admin_landing_page(login, region, staff):
    housing = _department(region, "150621", "住建部门")
    client = login("admin")
    before = client.get("/organisation/coverage/").get_data(as_text=True)
    assert 'data-covered="no"' in _row(before, "150621", "住建部门")
    home = client.get("/").get_data(as_text=True)
    assert f"{APPROVAL_DEPARTMENTS - COVERED} 个审批部门尚无部门代办员" in home and "/organisation/coverage/" in home

    _add_liaison(login, region, "dlt_liaison_housing", housing)

    after = login("admin").get("/organisation/coverage/").get_data(as_text=True)
    row = _row(after, "150621", "住建部门")
    assert 'data-covered="yes"' in row and "贺建军" in row
    assert coverage.gap_count(staff("admin")) == APPROVAL_DEPARTMENTS - COVERED - 1
    home = login("admin").get("/").get_data(as_text=True)
    assert f"{APPROVAL_DEPARTMENTS - COVERED - 1} 个审批部门尚无部门代办员" in home


def test_an_inactive_login_or_an_agent_is_no_liaison(staff, region):
    water = staff("dlt_liaison_water")
    water.active = False
    agent = staff("dlt_agent")
    agent.department_id = _department(region, "150621", "住建部门").id
    db.session.commit()
    dlt = next(r for r in coverage.coverage(staff("admin")) if r.region.code == "150621")
    names = {d.department.kind: d.liaisons for d in dlt.departments}
    assert names["水利部门"] == [] and names["住建部门"] == []
    assert coverage.gap_count(staff("admin")) == APPROVAL_DEPARTMENTS - COVERED + 1


def test_coverage_follows_row_scope(login, staff):
    # A banner's agent sees their banner only; the city supervisor the city and its banners; liaisons nothing.
    assert [r.region.code for r in coverage.coverage(staff("dlt_agent"))] == ["150621"]
    assert coverage.gap_count(staff("dlt_agent")) == 8
    assert len(coverage.coverage(staff("supervisor"))) == 10
    page = login("dlt_agent").get("/organisation/coverage/").get_data(as_text=True)
    assert 'data-region="150621"' in page and 'data-region="150600"' not in page
    assert "10 个审批部门中有 8 个尚无部门代办员" in page
    assert login("dlt_liaison_water").get("/organisation/coverage/").status_code in (302, 403)
