"""Organisation screens: regions, departments, staff logins (FAB's user view with region and department)."""

from __future__ import annotations

from typing import Any

from flask_appbuilder import ModelView
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import UserDBModelView
from flask_babel import gettext, lazy_gettext

from app.domain.enums import RegionLevel
from app.models import Department, Region, Staff
from app.services.seeding import provision_region
from app.views.base import EagerInterface, region_scope


def _level_label(value: Any) -> str:
    try:
        return gettext(RegionLevel(value).label)
    except ValueError:
        return value or ""


class RegionView(ModelView):
    """Regions and development zones; adding a zone gives it departments and a catalog."""

    datamodel = EagerInterface(Region, eager=("parent",))
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    base_filters = region_scope("id")
    base_order = ("code", "asc")
    list_title = lazy_gettext("Regions")
    show_title = lazy_gettext("Region")
    add_title = lazy_gettext("Add development zone")
    edit_title = lazy_gettext("Edit region")
    list_columns = ["code", "name", "level", "parent", "active"]
    show_columns = list_columns
    add_columns = ["code", "name", "parent"]
    edit_columns = ["name", "active"]
    search_columns = ["code", "name", "level"]
    label_columns = {
        "code": lazy_gettext("Code"),
        "name": lazy_gettext("Name"),
        "level": lazy_gettext("Level"),
        "parent": lazy_gettext("Parent region"),
        "active": lazy_gettext("Active"),
    }
    description_columns = {
        "code": lazy_gettext("Division code; for a development zone, a code of your choosing such as 150600-01."),
    }
    formatters_columns = {"level": _level_label}

    def pre_add(self, item: Region) -> None:
        # Only development zones are added by hand; the administrative tree comes from the seed.
        item.level = RegionLevel.ZONE.value
        item.active = True
        if item.parent is None or item.parent.level != RegionLevel.CITY.value:
            raise ValueError(gettext("A development zone belongs to the city."))

    def post_add(self, item: Region) -> None:
        provision_region(item)
        self.datamodel.session.commit()


class DepartmentView(ModelView):
    """Departments of each region; the list shows which approval departments still lack a liaison."""

    datamodel = EagerInterface(Department, eager=("region",))
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    base_filters = region_scope()
    base_order = ("region_id", "asc")
    page_size = 50
    list_title = lazy_gettext("Departments")
    show_title = lazy_gettext("Department")
    add_title = lazy_gettext("Add department")
    edit_title = lazy_gettext("Edit department")
    list_columns = ["region", "name", "kind", "is_approval", "active"]
    show_columns = ["region", "name", "kind", "role_in_plan", "is_approval", "active"]
    add_columns = ["region", "name", "kind", "is_approval"]
    edit_columns = ["name", "is_approval", "active"]
    search_columns = ["region", "name", "kind", "is_approval", "active"]
    label_columns = {
        "region": lazy_gettext("Region"),
        "name": lazy_gettext("Name"),
        "kind": lazy_gettext("Kind"),
        "role_in_plan": lazy_gettext("Role in the plan"),
        "is_approval": lazy_gettext("Approval department"),
        "active": lazy_gettext("Active"),
    }


class StaffUserView(UserDBModelView):
    """FAB's user administration, with each login's region and department."""

    datamodel = EagerInterface(Staff, eager=("roles", "region", "department"))
    # No hard delete: catalog history and (later) case events name their users; deactivate instead.
    base_permissions = [
        "can_list",
        "can_show",
        "can_add",
        "can_edit",
        "can_userinfo",
        "userinfoedit",
        "resetmypassword",
        "resetpasswords",
    ]
    list_columns = ["username", "first_name", "region", "department", "roles", "active", "last_login"]
    show_fieldsets = [
        (
            lazy_gettext("User info"),
            {"fields": ["username", "first_name", "last_name", "email", "phone", "region", "department", "active"]},
        ),
        (lazy_gettext("Roles"), {"fields": ["roles"]}),
        (
            lazy_gettext("Audit info"),
            {"fields": ["last_login", "fail_login_count", "created_on", "changed_on"], "expanded": False},
        ),
    ]
    user_show_fieldsets = [
        (
            lazy_gettext("User info"),
            {"fields": ["username", "first_name", "last_name", "email", "region", "department"]},
        ),
    ]
    add_columns = [
        "first_name",
        "last_name",
        "username",
        "active",
        "email",
        "phone",
        "region",
        "department",
        "roles",
        "password",
        "conf_password",
    ]
    edit_columns = ["first_name", "last_name", "username", "active", "email", "phone", "region", "department", "roles"]
    search_columns = ["username", "first_name", "email", "region", "active"]
    label_columns = {
        **UserDBModelView.label_columns,
        "region": lazy_gettext("Region"),
        "department": lazy_gettext("Department"),
        "phone": lazy_gettext("Phone"),
    }


class StaffSecurityManager(SecurityManager):
    """FAB's security manager with the Staff user model and view."""

    user_model = Staff
    userdbmodelview = StaffUserView
    userstatschartview = None  # draws with Google Charts, which an offline intranet cannot load
