"""Documentation printed from the code's own tables, so the README cannot drift from them."""

from __future__ import annotations

from app.domain.roles import ROLE_PERMISSIONS

_ROLE_COLUMNS = ("Admin", *(role.value for role in ROLE_PERMISSIONS))


def roles_markdown() -> str:
    """The role × permission matrix as a Markdown table (Admin holds every permission)."""
    resources: dict[str, set[tuple[str, str]]] = {}
    for permissions in ROLE_PERMISSIONS.values():
        for action, resource in permissions:
            resources.setdefault(resource, set()).add((action, resource))
    lines = [
        "| resource | action | " + " | ".join(_ROLE_COLUMNS) + " |",
        "|---|---|" + "---|" * len(_ROLE_COLUMNS),
    ]
    for resource in sorted(resources):
        for action, _ in sorted(resources[resource]):
            marks = ["✓"] + ["✓" if (action, resource) in ROLE_PERMISSIONS[role] else "" for role in ROLE_PERMISSIONS]
            lines.append(f"| {resource} | {action} | " + " | ".join(marks) + " |")
    lines.append(
        "| *every other view* (users, roles, regions and departments edit, catalog maintenance, calendar) "
        "| *all* | ✓ |" + " |" * (len(_ROLE_COLUMNS) - 1)
    )
    return "\n".join(lines)
