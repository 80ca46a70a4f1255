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


def _names(function: object) -> str:
    name = getattr(function, "__name__", "") if function else ""
    return " + ".join(part.strip().lstrip("_") for part in name.split("+")) or "—"


def workflow_markdown() -> str:
    """The case and item state machines as Markdown tables, printed from the workflow rows."""
    from app.domain.workflow import ACTION_LABELS, CASE_TRANSITIONS, ITEM_TRANSITIONS, CaseState, ItemState

    out = []
    for title, rows, states in (
        ("Case", CASE_TRANSITIONS, CaseState),
        ("Case item", ITEM_TRANSITIONS, ItemState),
    ):
        out.append(f"**{title}**\n")
        out.append("| from | action | to | who | must be filled first | guard | effect | then (system) |")
        out.append("|---|---|---|---|---|---|---|---|")
        for t in rows:
            who = ", ".join(sorted(str(r) for r in t.roles))
            needs = ", ".join(n.label for n in t.needs) or "—"
            follows = ", ".join(f"{f.machine}: {f.action}" for f in t.follows) or "—"
            out.append(
                f"| {states(t.state).label} (`{t.state}`) | {ACTION_LABELS[t.action]} (`{t.action}`) "
                f"| {states(t.next_state).label} (`{t.next_state}`) | {who} | {needs} "
                f"| {_names(t.guard)} | {_names(t.effect)} | {follows} |"
            )
        out.append("")
    return "\n".join(out).rstrip()
