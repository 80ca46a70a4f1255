"""Role × route matrix, read from the role table in code, and row-level scope by region."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.domain.enums import RoleName
from app.domain.roles import ROLE_PERMISSIONS
from app.extensions import db
from app.models import CatalogItem, Region

pytestmark = pytest.mark.every_engine  # row scope in SQL

# route → the (action, resource) permission it needs; {item} is a catalog item of the user's region.
ROUTES: dict[str, tuple[str, str]] = {
    "/catalog/list/": ("can_list", "CatalogItemView"),
    "/catalog/show/{item}": ("can_show", "CatalogItemView"),
    "/catalog/add": ("can_add", "CatalogItemView"),
    "/catalog/edit/{item}": ("can_edit", "CatalogItemView"),
    "/catalog/retire/{item}": ("can_retire", "CatalogItemView"),
    "/catalog/restore/{item}": ("can_restore", "CatalogItemView"),
    "/catalog/export?region_id={region}": ("can_export", "CatalogItemView"),
    "/catalog/import": ("can_import", "CatalogItemView"),
    "/catalogchangeview/list/": ("can_list", "CatalogChangeView"),
    "/regionview/list/": ("can_list", "RegionView"),
    "/regionview/add": ("can_add", "RegionView"),
    "/departmentview/list/": ("can_list", "DepartmentView"),
    "/departmentview/add": ("can_add", "DepartmentView"),
    "/users/list/": ("can_list", "StaffUserView"),
    "/users/add": ("can_add", "StaffUserView"),
    "/roles/list/": ("can_list", "RoleModelView"),
    "/calendar/years/": ("can_years", "CalendarYearView"),
    "/calendar/days/list/": ("can_list", "CalendarDayView"),
    "/calendar/days/add": ("can_add", "CalendarDayView"),
    "/calendar/calculator/": ("can_calculate", "WorkdayCalculatorView"),
    "/users/userinfo/": ("can_userinfo", "StaffUserView"),
    "/resetmypassword/form": ("can_this_form_get", "ResetMyPasswordView"),
    "/caselist/list/": ("can_list", "CaseView"),
    "/caseitems/list/": ("can_list", "CaseItemView"),
    "/enterprises/list/": ("can_list", "EnterpriseView"),
    "/projects/list/": ("can_list", "ProjectView"),
    "/cases/new": ("can_new", "CasePageView"),
    "/queue/items": ("can_items", "WorkQueueView"),
    "/queue/cases": ("can_cases", "WorkQueueView"),
}
USERS = {
    "admin": RoleName.ADMIN,
    "supervisor": RoleName.SUPERVISOR,
    "agent": RoleName.AGENT,
    "liaison": RoleName.LIAISON,
}


def _allowed(role: RoleName, permission: tuple[str, str]) -> bool:
    return role is RoleName.ADMIN or permission in ROLE_PERMISSIONS[role]


@pytest.mark.parametrize("username", USERS)
def test_each_role_reaches_exactly_the_routes_its_permissions_name(login, region, username):
    client = login(username)
    city = region("150600")
    item = db.session.scalar(select(CatalogItem.id).where(CatalogItem.region_id == city.id, CatalogItem.seq == 1))
    outcomes = {}
    for route, permission in ROUTES.items():
        url = route.format(item=item, region=city.id)
        status = client.get(url).status_code
        outcomes[url] = (status, _allowed(USERS[username], permission))
    wrong = {url: status for url, (status, allowed) in outcomes.items() if (status == 200) != allowed}
    assert wrong == {}
    denied = [status for status, allowed in outcomes.values() if not allowed]
    assert set(denied) <= {403}


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    for route in ROUTES:
        response = client.get(route.format(item=1, region=1))
        assert response.status_code == 302, route
        assert "/login/" in response.headers["Location"]


def _catalog_item(code, seq=14):
    return db.session.scalar(select(CatalogItem.id).join(Region).where(Region.code == code, CatalogItem.seq == seq))


def test_banner_staff_see_only_their_banners_catalog(login):
    client = login("dlt_agent")
    page = client.get("/catalog/list/?psize_CatalogItemView=100").get_data(as_text=True)
    assert "达拉特旗水利局" in page
    assert "鄂尔多斯市水利局" not in page
    assert "准格尔旗水利局" not in page
    assert client.get(f"/catalog/show/{_catalog_item('150600')}").status_code == 404
    assert client.get(f"/catalog/show/{_catalog_item('150621')}").status_code == 200


def test_a_city_supervisor_sees_the_city_and_its_banners(login):
    client = login("supervisor")
    for code in ("150600", "150621", "150627"):
        assert client.get(f"/catalog/show/{_catalog_item(code)}").status_code == 200, code


def test_a_banner_supervisor_does_not_see_the_city_or_other_banners(login):
    client = login("dlt_supervisor")
    assert client.get(f"/catalog/show/{_catalog_item('150621')}").status_code == 200
    assert client.get(f"/catalog/show/{_catalog_item('150600')}").status_code == 404
    assert client.get(f"/catalog/show/{_catalog_item('150622')}").status_code == 404
    departments = client.get("/departmentview/list/?psize_DepartmentView=100").get_data(as_text=True)
    assert "达拉特旗水利局" in departments and "准格尔旗水利局" not in departments


def test_the_catalog_history_of_another_region_stays_hidden(login):
    page = login("dlt_supervisor").get("/catalogchangeview/list/?psize_CatalogChangeView=100").get_data(as_text=True)
    assert "取水许可审批" in page
    city_history_link = login("supervisor").get("/catalogchangeview/list/").status_code
    assert city_history_link == 200
