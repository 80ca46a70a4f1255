"""The seeded test database, taken once per session and put back before each test instead of re-seeding it.

SQLite: the whole file (schema and rows) copied into memory with the sqlite3 backup API and copied back — a few
milliseconds. PostgreSQL and MariaDB: every row of every table read once; before each test the tables the last
test wrote are emptied and their rows inserted again, in one transaction with foreign-key checks off. Which
tables were written is read from every statement any engine of this process sends (INSERT, UPDATE, DELETE,
REPLACE, TRUNCATE name their table; DDL or a statement not understood means all of them); a test whose writes
come from another process (a worker) says so with `written_elsewhere()`. Measured: re-inserting every table
took PostgreSQL ~90–130 ms a test, a `CREATE DATABASE … TEMPLATE` copy 90–230 ms (and every connection closed
first); only the written tables, a few milliseconds.
"""

from __future__ import annotations

import os
import re
import sqlite3
from typing import Any

from flask_appbuilder import Model
from sqlalchemy import Engine, Table, event, text
from sqlalchemy.engine import make_url

_WRITE = re.compile(
    r"^\s*(?:INSERT\s+(?:IGNORE\s+)?INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM)\s+[`\"]?(\w+)[`\"]?", re.IGNORECASE
)
_READ = re.compile(r"^\s*(?:SELECT|SHOW|SET|SAVEPOINT|RELEASE|ROLLBACK|COMMIT|BEGIN|PRAGMA|EXPLAIN|DESCRIBE)\b", re.I)
_EVERYTHING = "*"
# Tables written since the last restore, per database (its URL: a second app on the same database shares it).
_written: dict[str, set[str]] = {}


# The snapshot each database last matched (several snapshots may share a database: the seed and the demo).
_loaded: dict[str, Snapshot] = {}


def _key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    """Every statement of every engine in this process: the table it writes, or `*` when it cannot tell."""
    written = _written.setdefault(_key(conn.engine), set())
    found = _WRITE.match(statement)
    if found:
        written.add(found.group(1).lower())
    elif not _READ.match(statement) and not (statement.lstrip()[:4].upper() == "WITH" and not _writes(statement)):
        written.add(_EVERYTHING)


def _writes(statement: str) -> bool:
    return re.search(r"\b(INSERT|UPDATE|DELETE)\b", statement, re.IGNORECASE) is not None


def written_elsewhere() -> None:
    """Another process (a worker) wrote to a test database: put every table back before the next test."""
    for written in _written.values():
        written.add(_EVERYTHING)
    _written.setdefault(_EVERYTHING, set())  # databases not written by this process yet: see `restore`


class Snapshot:
    """What the database held once migrated and seeded; `restore()` puts exactly that back."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.path = make_url(str(engine.url)).database if engine.dialect.name == "sqlite" else None
        self.copy: sqlite3.Connection | None = None
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.take()

    def take(self) -> None:
        """Read the database as it is now."""
        if self.path:
            self.engine.dispose()  # no pooled connection may write while the copy is read
            source = sqlite3.connect(self.path)
            self.copy = sqlite3.connect(":memory:", check_same_thread=False)
            source.backup(self.copy)
            source.close()
            return
        with self.engine.connect() as connection:
            self.rows = {
                table.name: [
                    dict(row)
                    for row in connection.execute(table.select().order_by(*table.primary_key.columns)).mappings()
                ]
                for table in Model.metadata.sorted_tables
            }
        _written[_key(self.engine)] = set()  # the database is this snapshot now
        _loaded[_key(self.engine)] = self

    def restore(self) -> None:
        """Put back what `take` read: every table the last test wrote (or dropped), whatever it wrote there."""
        self.engine.dispose()  # connections left by the last test would read the old file or hold locks
        if self.path:
            assert self.copy is not None
            target = sqlite3.connect(self.path)
            self.copy.backup(target)
            target.close()
            return
        key = _key(self.engine)
        written = _written.setdefault(key, set())
        every = _EVERYTHING in written or _EVERYTHING in _written or key not in _loaded
        if not every and _loaded[key] is not self:  # the database last held another snapshot: its tables differ
            written |= {name for name, rows in self.rows.items() if _loaded[key].rows.get(name) != rows}
        tables: list[Table] = [t for t in Model.metadata.sorted_tables if every or t.name.lower() in written]
        mysql = self.engine.dialect.name == "mysql"
        with self.engine.begin() as connection:
            if mysql:
                connection.execute(text("SET FOREIGN_KEY_CHECKS=0"))
            else:
                connection.execute(text("SET session_replication_role = replica"))  # no FK triggers while refilling
            for table in reversed(tables):
                connection.execute(table.delete())
            for table in tables:
                if self.rows[table.name]:
                    connection.execute(table.insert(), self.rows[table.name])
            if mysql:
                connection.execute(text("SET FOREIGN_KEY_CHECKS=1"))
            else:
                connection.execute(text("SET session_replication_role = DEFAULT"))
        written.clear()
        _written.pop(_EVERYTHING, None)
        _loaded[key] = self
        if os.environ.get("SNAPSHOT_VERIFY"):
            self.verify()

    def verify(self) -> None:
        """Every table equals the snapshot (SNAPSHOT_VERIFY=1: a slow run that proves no write went unseen)."""
        with self.engine.connect() as connection:
            for table in Model.metadata.sorted_tables:
                rows = connection.execute(table.select().order_by(*table.primary_key.columns)).mappings()
                assert [dict(r) for r in rows] == self.rows[table.name], f"{table.name} was not put back"
