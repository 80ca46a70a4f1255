"""The layers of `app/` as imports: views → services → models → domain, the API beside the views, security and
tasks beside them importing neither; no import circle, counting imports inside functions too."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
CORE = {"domain", "models", "services", "extensions"}
# What each part of the app may import from the app (itself included); `app` (the factory) may import anything.
ALLOWED: dict[str, set[str]] = {
    "domain": {"domain"},
    "extensions": set(),
    "models": {"domain", "models", "extensions"},
    "services": CORE,
    "texts": {"domain"},
    "i18n": {"domain"},
    "static_assets": set(),
    "security": CORE | {"security", "texts"},
    "tasks": CORE | {"tasks"},
    "api": CORE | {"api", "security", "texts"},
    "views": CORE | {"views", "security", "tasks", "texts", "i18n", "static_assets"},
    "cli": CORE | {"cli", "tasks", "security", "i18n"},
}
PURE_FORBIDDEN = ("flask", "flask_appbuilder", "flask_babel", "werkzeug", "sqlalchemy")


def _modules() -> dict[str, Path]:
    found = {}
    for path in APP.rglob("*.py"):
        parts = path.relative_to(APP.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """(imported app module, line) for every import in the file, at the top or inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            targets = [f"{base}.{alias.name}" for alias in node.names] or [base]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target, node.lineno


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "app"


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {t for t, _ in _imports(name, path, modules)} for name, path in modules.items()}


def test_every_module_imports_only_from_its_own_layer_or_below():
    modules = _modules()
    wrong = []
    for name, path in sorted(modules.items()):
        part = _part(name)
        if part == "app":
            continue
        assert part in ALLOWED, f"{name}: add its part of the app to ALLOWED"
        for target, line in _imports(name, path, modules):
            if _part(target) not in ALLOWED[part]:
                wrong.append(f"{path.relative_to(APP.parent)}:{line} {name} -> {target}")
    assert wrong == []


def test_the_pure_domain_imports_nothing_of_flask_or_the_database():
    wrong = []
    for path in sorted((APP / "domain").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            wrong += [f"{path.name}:{node.lineno} {n}" for n in names if n.split(".")[0] in PURE_FORBIDDEN]
    assert wrong == []


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or through others (Tarjan's components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return circles


def test_no_module_of_the_app_imports_itself_back_through_others():
    assert _circles(_graph()) == []


def test_a_circle_through_a_third_module_is_found_and_a_chain_is_not():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_the_imports_read_include_those_inside_functions():
    graph = _graph()
    assert "app.services.cases" in graph["app.views.cases"]
    assert "app.services.exports" in graph["app.tasks"]  # imported inside the task functions only
