"""Organisation screens: regions, departments, staff logins (FAB's user view with region and department)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import current_app, flash, request
from flask_appbuilder import ModelView
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security import views as fab_views
from flask_appbuilder.security.views import UserDBModelView
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext, lazy_gettext
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.security import check_password_hash
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp
from wtforms.validators import ValidationError as WTFormsValidationError

from app.domain.enums import RegionLevel
from app.domain.errors import DomainError
from app.domain.passwords import guessable
from app.domain.privacy import mask_phone
from app.extensions import db
from app.models import Department, Region, Staff
from app.security.signin import (
    UserSessionsMixin,
)
from app.services import org as org_service
from app.services.org import add_zone, update_region
from app.services.roles import role_label
from app.texts import enum_label
from app.views.base import EagerInterface, ServiceModelView, actor, error_text, full_name, region_scope

log = logging.getLogger(__name__)


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
    formatters_columns = {"level": enum_label(RegionLevel)}

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


# An address's shape only: intranet domains (and the demo's .invalid) are not for a DNS-minded validator to judge.
_EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=lazy_gettext("Not a valid e-mail address."))


def _staff_roles(query: Callable[[], Any]) -> Callable[[], list[Any]]:
    """The role list a staff login may be given: every role but the visitors' one."""
    return lambda: [role for role in query() if role.name != current_app.config.get("AUTH_ROLE_PUBLIC", "Public")]


def _unique(validators: list[Any]) -> list[Any]:
    """FAB's Unique check of a column, without its required-field checks."""
    return [v for v in validators if type(v).__name__ == "Unique"]


def role_names_text(roles: Any) -> str:
    """Roles by their translated labels; the rows keep their English names as data."""
    return gettext("、").join(_role_name_label(role.name) for role in roles or [])


def _role_name_label(name: str) -> str:
    # FAB's role of visitors who are not signed in is not in the role table (it holds nothing).
    if name == "Public":
        return gettext("Public (not signed in)")
    return gettext(role_label(name))


def _role_choice_label(role: Any) -> str:
    return _role_name_label(role.name)


# FAB's help texts speak of LDAP and OpenID and say passwords are not checked: none of it is true here.
_PASSWORD_HINT = lazy_gettext("At least 10 characters, with letters and digits.")


def _login_for(form: Any) -> str:
    """Whose password a form sets: the login typed in it, the one an admin resets (?pk=), or one's own."""
    if "username" in form:
        return form.username.data or ""
    pk = request.args.get("pk", "")
    if pk.isdigit():
        user = db.session.get(Staff, int(pk))
        return user.username if user is not None else ""
    return actor().username


def _not_guessable(form: Any, field: Any) -> None:
    problem = guessable(field.data or "", _login_for(form))
    if problem is not None:
        raise WTFormsValidationError(gettext(problem))


def _current_password(form: Any, field: Any) -> None:
    """Changing one's own password asks for the current one: a session left open is not a password."""
    if not check_password_hash(actor().password or "", field.data or ""):
        raise WTFormsValidationError(gettext("The current password is not right."))


def _new_password_fields() -> tuple[PasswordField, PasswordField]:
    return (
        PasswordField(
            lazy_gettext("Password"),
            description=_PASSWORD_HINT,
            validators=[DataRequired(), PasswordComplexityValidator(), _not_guessable],
            widget=BS3PasswordFieldWidget(),
        ),
        PasswordField(
            lazy_gettext("Confirm Password"),
            description=lazy_gettext("Please rewrite the password to confirm"),
            validators=[EqualTo("password", message=lazy_gettext("Passwords must match"))],
            widget=BS3PasswordFieldWidget(),
        ),
    )


class StaffPasswordForm(DynamicForm):
    password, conf_password = _new_password_fields()


class OwnPasswordForm(DynamicForm):
    current_password = PasswordField(
        lazy_gettext("Current password"),
        validators=[DataRequired(), _current_password],
        widget=BS3PasswordFieldWidget(),
    )
    password, conf_password = _new_password_fields()


class ResetMyPasswordView(fab_views.ResetMyPasswordView):
    """FAB's own-password form asking for the current password, with a true help text (same name: same routes)."""

    form = OwnPasswordForm


class ResetPasswordView(fab_views.ResetPasswordView):
    """FAB's admin password reset with a true help text (same name: same permissions and routes)."""

    form = StaffPasswordForm


class StaffInfoForm(DynamicForm):
    first_name = StringField(
        lazy_gettext("Full name"),
        validators=[DataRequired(), Length(max=64)],
        widget=BS3TextFieldWidget(),
    )


class UserInfoEditView(fab_views.UserInfoEditView):
    """Editing one's own 姓名 (one field: Chinese names do not split into FAB's first and last names)."""

    form = StaffInfoForm

    def form_get(self, form: DynamicForm) -> None:
        form.first_name.data = full_name(actor())

    def form_post(self, form: DynamicForm) -> None:
        user = self.appbuilder.sm.get_user_by_id(actor().id)
        user.first_name, user.last_name = form.first_name.data.strip(), ""
        self.appbuilder.sm.update_user(user)
        flash(gettext("User information changed"), "info")


class RoleModelView(fab_views.RoleModelView):
    """FAB's role list with the roles' translated labels (same name: same permissions and routes)."""

    list_widget = ListWidget  # FAB's role list widget ignores formatters; the show page lists permissions
    list_columns = ["name"]
    search_columns = ["name"]
    formatters_columns = {"name": _role_name_label}


def _department_of_the_region(form: Any, field: Any) -> None:
    """The form shows the refusal at the department, with everything typed kept."""
    try:
        org_service.check_placement(form.region.data, field.data)
    except DomainError as error:
        raise WTFormsValidationError(error_text(error)) from None


class StaffUserView(UserSessionsMixin, UserDBModelView):
    """FAB's user administration with one 姓名 field, each login's region and department, no hard delete."""

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
    order_columns = ["username", "first_name", "active", "last_login"]
    show_fieldsets = [
        (
            lazy_gettext("User info"),
            {"fields": ["username", "first_name", "email", "phone", "region", "department", "active"]},
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
            {"fields": ["username", "first_name", "email", "region", "department", "roles"]},
        ),
    ]
    add_columns = [
        "first_name",
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
    edit_columns = ["first_name", "username", "active", "email", "phone", "region", "department", "roles"]
    search_columns = ["username", "first_name", "email", "region", "active"]
    formatters_columns = {
        "phone": mask_phone,  # staff numbers: shown masked, editable in full by the admin
        "roles": role_names_text,
    }
    # FAB's validator reads a "groups" field our forms do not show (it crashed with a 500): roles alone.
    validators_columns = {"roles": [DataRequired()], "department": [_department_of_the_region]}
    label_columns = {
        **UserDBModelView.label_columns,
        "first_name": lazy_gettext("Full name"),
        "active": lazy_gettext("Active"),
        "roles": lazy_gettext("Roles"),
        "region": lazy_gettext("Region"),
        "department": lazy_gettext("Department"),
        "phone": lazy_gettext("Phone"),
    }
    description_columns = {
        "username": lazy_gettext("Used to sign in."),
        "active": lazy_gettext("Clear to stop this login from signing in; logins are never deleted."),
        "department": lazy_gettext("For a department liaison, the department whose items they handle."),
        "conf_password": lazy_gettext("Please rewrite the password to confirm"),
    }
    add_form_extra_fields = {
        "password": PasswordField(
            lazy_gettext("Password"),
            description=_PASSWORD_HINT,
            validators=[DataRequired(), PasswordComplexityValidator(), _not_guessable],
            widget=BS3PasswordFieldWidget(),
        ),
        "conf_password": PasswordField(
            lazy_gettext("Confirm Password"),
            description=lazy_gettext("Please rewrite the password to confirm"),
            validators=[DataRequired(), EqualTo("password", message=lazy_gettext("Passwords must match"))],
            widget=BS3PasswordFieldWidget(),
        ),
    }

    def _init_forms(self) -> None:
        super()._init_forms()
        for form in (self.add_form, self.edit_form):
            form.roles.kwargs["get_label"] = _role_choice_label  # 系统管理员, not "Admin"
            # The public (not signed in) role is what a visitor has; a staff login holding it means nothing.
            form.roles.kwargs["query_func"] = _staff_roles(form.roles.kwargs["query_func"])
            # Liaisons often have no e-mail address: optional (FAB makes its NOT NULL column required).
            form.email.kwargs["validators"] = [Optional(), _EMAIL, *_unique(form.email.kwargs["validators"])]
            # 180 departments of 12 regions share a few names (水利局…): each says its region.
            form.department.kwargs["get_label"] = lambda d: f"{d.region.name} · {d.name}"

    def prefill_form(self, form: DynamicForm, pk: Any) -> None:
        item = self.datamodel.get(pk, self._base_filters)
        if item is not None:
            form.first_name.data = full_name(item)

    def pre_add(self, item: Staff) -> None:
        item.first_name, item.last_name = (item.first_name or "").strip(), ""
        item.email = (item.email or "").strip() or None
        self._check_placement(item)
        super().pre_add(item)

    def pre_update(self, item: Staff) -> None:
        item.first_name, item.last_name = (item.first_name or "").strip(), ""
        item.email = (item.email or "").strip() or None
        self._check_placement(item)
        super().pre_update(item)

    @staticmethod
    def _check_placement(item: Staff) -> None:
        """The organisation service's rule once more as the row is saved (the form's validator shows it first)."""
        try:
            org_service.check_placement(item.region, item.department)
        except DomainError as error:
            db.session.rollback()  # FAB has already copied the form onto the row: nothing of it may be committed
            raise ValueError(error_text(error)) from None


# The views FAB's security manager shows for users, roles and passwords (handed to it by the app factory).
SECURITY_VIEWS = {
    "userdbmodelview": StaffUserView,
    "rolemodelview": RoleModelView,
    "userinfoeditview": UserInfoEditView,
    "resetmypasswordview": ResetMyPasswordView,
    "resetpasswordview": ResetPasswordView,
}
