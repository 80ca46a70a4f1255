"""flask backup / restore of the embedded SQLite database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import CatalogItem
from app.services import catalog

pytestmark = pytest.mark.every_engine  # the backup command answers for each engine


def test_the_backup_command_copies_the_embedded_database_and_points_a_server_to_its_own_tools(
    database_url, app, tmp_path
):
    result = app.test_cli_runner().invoke(args=["backup", "--out", str(tmp_path / "b.db")])
    if database_url.startswith("sqlite"):
        assert result.exit_code == 0 and (tmp_path / "b.db").stat().st_size > 0, result.output
    else:  # on a server database the command says where backups come from instead of pretending
        assert result.exit_code != 0 and "pg_dump" in result.output
        assert not (tmp_path / "b.db").exists()


@pytest.mark.sqlite_only
def test_a_backup_restores_the_data_as_it_was(app, staff, tmp_path):
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


@pytest.mark.sqlite_only
def test_restoring_something_else_is_refused_and_changes_nothing(app, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    before = db.session.scalar(select(func.count(CatalogItem.id)))
    result = app.test_cli_runner().invoke(args=["restore", "--from", str(junk)])
    assert result.exit_code != 0 and "is not a backup" in result.output
    assert db.session.scalar(select(func.count(CatalogItem.id))) == before
