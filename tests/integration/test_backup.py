"""flask backup / restore of the embedded SQLite database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import CatalogItem
from app.services import catalog


@pytest.fixture
def sqlite_only(database_url, app, tmp_path):
    if not database_url.startswith("sqlite"):
        # On a server database the command says where backups come from instead of pretending.
        result = app.test_cli_runner().invoke(args=["backup", "--out", str(tmp_path / "b.db")])
        assert result.exit_code != 0 and "pg_dump" in result.output
        return False
    return True


def test_a_backup_restores_the_data_as_it_was(sqlite_only, app, staff, tmp_path):
    if not sqlite_only:
        return
    runner = app.test_cli_runner()
    item_id = db.session.scalar(select(CatalogItem.id).where(CatalogItem.name == "取水许可审批"))
    result = runner.invoke(args=["backup", "--out", str(tmp_path / "b.db")])
    assert result.exit_code == 0, result.output
    catalog.retire_item(item_id, staff("admin"), "备份后的修改")
    db.session.remove()
    result = runner.invoke(args=["restore", "--from", str(tmp_path / "b.db")])
    assert result.exit_code == 0, result.output
    assert db.session.get(CatalogItem, item_id).retired_at is None  # as it was at the backup
    assert "before-restore" in result.output


def test_restoring_something_else_is_refused_and_changes_nothing(sqlite_only, app, tmp_path):
    if not sqlite_only:
        return
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    before = db.session.scalar(select(func.count(CatalogItem.id)))
    result = app.test_cli_runner().invoke(args=["restore", "--from", str(junk)])
    assert result.exit_code != 0 and "is not a backup" in result.output
    assert db.session.scalar(select(func.count(CatalogItem.id))) == before
