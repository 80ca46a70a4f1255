"""Roles as data: each role's exact `(action, resource)` permissions, synced into FAB by `flask seed`.

The Admin role holds every permission the app registers; the others hold exactly what is listed here.
Resources are FAB view/menu names; actions are FAB permission names (`can_list`, `menu_access`, …).
"""

from __future__ import annotations

from app.domain.enums import RoleName

Permission = tuple[str, str]

# Every logged-in user may see their own profile and change their own password.
_SELF_SERVICE: list[Permission] = [
    ("can_userinfo", "StaffUserView"),
    ("userinfoedit", "StaffUserView"),
    ("resetmypassword", "StaffUserView"),
    ("can_this_form_get", "ResetMyPasswordView"),
    ("can_this_form_post", "ResetMyPasswordView"),
    ("can_this_form_get", "UserInfoEditView"),
    ("can_this_form_post", "UserInfoEditView"),
    ("can_calculate", "WorkdayCalculatorView"),
    ("menu_access", "Working-day calculator"),
    ("menu_access", "Calendar"),
]

_CATALOG_READ: list[Permission] = [
    ("can_list", "CatalogItemView"),
    ("can_show", "CatalogItemView"),
    ("can_export", "CatalogItemView"),
    ("menu_access", "Catalog items"),
    ("menu_access", "Catalog"),
]

_ORGANISATION_READ: list[Permission] = [
    ("can_list", "DepartmentView"),
    ("can_show", "DepartmentView"),
    ("menu_access", "Departments"),
    ("menu_access", "Organisation"),
]

ROLE_PERMISSIONS: dict[RoleName, list[Permission]] = {
    RoleName.SUPERVISOR: [
        *_SELF_SERVICE,
        *_CATALOG_READ,
        *_ORGANISATION_READ,
        ("can_list", "RegionView"),
        ("can_show", "RegionView"),
        ("menu_access", "Regions"),
        ("can_list", "CatalogChangeView"),
        ("can_show", "CatalogChangeView"),
        ("menu_access", "Catalog history"),
    ],
    RoleName.AGENT: [
        *_SELF_SERVICE,
        *_CATALOG_READ,
        *_ORGANISATION_READ,
    ],
    RoleName.LIAISON: [
        *_SELF_SERVICE,
        ("can_list", "CatalogItemView"),
        ("can_show", "CatalogItemView"),
        ("menu_access", "Catalog items"),
        ("menu_access", "Catalog"),
    ],
}

# Roles whose permissions are all the app has; FAB's own admin role.
ALL_PERMISSION_ROLES: tuple[RoleName, ...] = (RoleName.ADMIN,)
