"""The seeded test database, taken once per session and put back before each test instead of re-seeding it.

SQLite: the whole file (schema and rows) copied into memory with the sqlite3 backup API and copied back — a few
milliseconds. PostgreSQL and MariaDB: every row of every table read once, and per test the tables emptied and
the rows inserted again in one transaction (one multi-row insert per table). That was measured faster than
recreating the database from a template (PostgreSQL's CREATE DATABASE … TEMPLATE must first drop the database
and every connection to it) and needs no rights beyond the test database's own.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from flask_appbuilder import Model
from sqlalchemy import Engine, Table, text
from sqlalchemy.engine import make_url


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

    def restore(self) -> None:
        """Put back what `take` read: every table, whatever the last test wrote or dropped."""
        self.engine.dispose()  # connections left by the last test would read the old file or hold locks
        if self.path:
            assert self.copy is not None
            target = sqlite3.connect(self.path)
            self.copy.backup(target)
            target.close()
            return
        tables: list[Table] = list(Model.metadata.sorted_tables)
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
