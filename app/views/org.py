"""Organisation screens: regions, departments, staff logins (FAB's user view with region and department)."""

from __future__ import annotations

import logging
from typing import Any

from flask import flash
from flask_appbuilder import ModelView
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import UserDBModelView
from flask_babel import gettext, lazy_gettext
from markupsafe import Markup
from sqlalchemy import select
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.domain.enums import RegionLevel
from app.domain.passwords import locked_until, password_problems
from app.domain.privacy import mask_phone
from app.extensions import db
from app.models import Department, Region, Staff
from app.models.org import now
from app.services.org import add_zone, update_region
from app.views.base import EagerInterface, ServiceModelView, actor, region_scope

log = logging.getLogger(__name__)


def _level_label(value: Any) -> str:
    try:
        return gettext(RegionLevel(value).label)
    except ValueError:
        return value or ""


def _staff_count(count: int | None) -> Markup:
    """Zero logins is shown as a warning: the plan wants a liaison in every approval department."""
    if not count:
        return Markup('<span class="label label-danger">{}</span>').format(gettext("Nobody assigned yet"))
    return Markup("{}").format(count)


class ZoneForm(DynamicForm):
    code = StringField(
        lazy_gettext("Code"),
        validators=[DataRequired(), Length(max=12)],
        description=lazy_gettext("Division code; for a development zone, a code of your choosing such as 150600-01."),
    )
    name = StringField(lazy_gettext("Name"), validators=[DataRequired(), Length(max=100)])
    parent_id = SelectField(lazy_gettext("Parent region"), coerce=int, validators=[DataRequired()])


class RegionEditForm(DynamicForm):
    name = StringField(lazy_gettext("Name"), validators=[DataRequired(), Length(max=100)])
    active = BooleanField(lazy_gettext("Active"))


class RegionView(ServiceModelView):
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
    add_form = ZoneForm
    edit_form = RegionEditForm
    add_columns = ["code", "name", "parent_id"]
    edit_columns = ["name", "active"]
    search_columns = ["code", "name", "level"]
    label_columns = {
        "code": lazy_gettext("Code"),
        "name": lazy_gettext("Name"),
        "level": lazy_gettext("Level"),
        "parent": lazy_gettext("Parent region"),
        "active": lazy_gettext("Active"),
    }
    formatters_columns = {"level": _level_label}

    def fill_form(self, form: DynamicForm, item: Region | None = None) -> None:
        if item is None:
            cities = db.session.scalars(select(Region).where(Region.level == RegionLevel.CITY.value))
            form.parent_id.choices = [SelectChoice(r.id, r.name) for r in cities]

    def service_add(self, form: ZoneForm) -> None:
        add_zone(form.code.data, form.name.data, form.parent_id.data, actor())

    def service_edit(self, item: Region, form: RegionEditForm) -> None:
        update_region(item.id, form.name.data, form.active.data, actor())


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
    list_columns = ["region", "name", "kind", "is_approval", "staff_count", "active"]
    show_columns = ["region", "name", "kind", "role_in_plan", "is_approval", "staff_count", "active"]
    order_columns = ["name", "kind", "is_approval", "staff_count"]
    add_columns = ["region", "name", "kind", "is_approval"]
    edit_columns = ["name", "is_approval", "active"]
    search_columns = ["region", "name", "kind", "is_approval", "active"]
    label_columns = {
        "region": lazy_gettext("Region"),
        "name": lazy_gettext("Name"),
        "kind": lazy_gettext("Kind"),
        "role_in_plan": lazy_gettext("Role in the plan"),
        "is_approval": lazy_gettext("Approval department"),
        "staff_count": lazy_gettext("Staff with a login"),
        "active": lazy_gettext("Active"),
    }
    formatters_columns = {"staff_count": _staff_count}


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
    formatters_columns = {"phone": mask_phone}  # staff numbers: shown masked, editable in full by the admin
    # FAB's validator reads a "groups" field our forms do not show (it crashed with a 500): roles alone.
    validators_columns = {"roles": [DataRequired()]}
    label_columns = {
        **UserDBModelView.label_columns,
        "region": lazy_gettext("Region"),
        "department": lazy_gettext("Department"),
        "phone": lazy_gettext("Phone"),
    }


def password_policy(password: str) -> None:
    """FAB's password complexity hook: the policy of app.domain.passwords, in the user's language."""
    problems = password_problems(password)
    if problems:
        raise PasswordComplexityValidationError(
            gettext("The password needs %(what)s.", what=gettext(", ").join(gettext(p) for p in problems))
        )


class StaffSecurityManager(SecurityManager):
    """FAB's security manager with the Staff user model and view, and a lockout after repeated failures."""

    user_model = Staff
    userdbmodelview = StaffUserView
    userstatschartview = None  # draws with Google Charts, which an offline intranet cannot load

    def auth_user_db(self, username: str, password: str) -> Any:
        user = self.find_user(username=username) if username else None
        until = locked_until(user.fail_login_count, user.last_failed_login, now()) if user else None
        if until is not None:
            # Refused without even checking the password: guessing goes no faster while locked.
            log.warning("login of %s refused: locked until %s", user.id, until.isoformat(timespec="minutes"))
            flash(
                gettext("Too many failed sign-ins: this account is locked until %(at)s.", at=until.strftime("%H:%M")),
                "danger",
            )
            return None
        return super().auth_user_db(username, password)

    def update_user_auth_stat(self, user: Any, success: bool = True) -> None:
        if not success:
            user.last_failed_login = now()
        super().update_user_auth_stat(user, success)
