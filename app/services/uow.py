"""The unit of work every service runs its writes in: commit on success, roll back on any error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from app.extensions import db


@contextmanager
def transaction() -> Iterator[None]:
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
