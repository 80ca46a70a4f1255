"""Backups of the embedded SQLite database (PostgreSQL uses pg_dump; see the README)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from app.domain.errors import N_, ValidationError
from app.extensions import db


def sqlite_path() -> Path:
    url = make_url(str(db.engine.url))
    if url.get_backend_name() != "sqlite" or not url.database:
        raise ValidationError(
            N_("Backups from here cover the embedded SQLite database; for PostgreSQL use pg_dump (see the README).")
        )
    return Path(url.database)


def backup(target: Path) -> int:
    """A consistent copy of the live database (SQLite's online backup); returns its size in bytes."""
    source = sqlite_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
        live.backup(copy)
    copy.close()
    live.close()
    return target.stat().st_size


def restore(backup_file: Path) -> Path:
    """Replace the database by a backup (the current one is kept beside it); returns the kept copy's path."""
    if not backup_file.is_file():
        raise ValidationError(N_("There is no backup file %(path)s."), path=str(backup_file))
    with sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True) as candidate:
        try:
            tables = {row[0] for row in candidate.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError:
            tables = set()
    candidate.close()
    if not {"alembic_version", "agency_case", "catalog_item"} <= tables:
        raise ValidationError(N_("%(path)s is not a backup of this application's database."), path=str(backup_file))
    target = sqlite_path()
    db.session.remove()
    db.engine.dispose()
    kept = target.with_name(target.name + ".before-restore")
    if target.exists():
        backup(kept)
    with sqlite3.connect(backup_file) as source, sqlite3.connect(target) as live:
        source.backup(live)
    source.close()
    live.close()
    return kept
