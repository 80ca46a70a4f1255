"""Docs printed from code: the README's role table is the one the role table in code prints."""

from __future__ import annotations

import re
from pathlib import Path

from app.services.docs import roles_markdown, workflow_markdown

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_role_table_matches_the_code():
    text = README.read_text(encoding="utf-8")
    documented = text.split("<!-- roles:begin -->\n", 1)[1].split("\n<!-- roles:end -->", 1)[0]
    assert documented == roles_markdown()


def test_the_readme_workflow_tables_match_the_code():
    text = README.read_text(encoding="utf-8")
    documented = text.split("<!-- workflow:begin -->\n", 1)[1].split("\n<!-- workflow:end -->", 1)[0]
    assert documented == workflow_markdown()


def test_the_readme_code_layout_names_every_module_of_the_app():
    readme = README.read_text(encoding="utf-8")
    layout = readme[readme.index("## Code layout") : readme.index("### Adding a tracked record type")]
    app = README.parent / "app"
    missing = [
        str(path.relative_to(app.parent))
        for path in sorted(app.rglob("*.py"))
        if path.stem != "__init__" and not re.search(rf"\b{path.stem}\b", layout)
    ]
    assert missing == []
