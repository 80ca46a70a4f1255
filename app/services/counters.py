"""Gap-free numbers under concurrency: the next value of a series, taken under its counter row's write lock.

Counting the rows already there and adding one gave two applications arriving together the same case number
(the second failed on the unique index). A series now lives in one `number_counter` row: the taker raises it with
an UPDATE — PostgreSQL and MariaDB lock that row until the taker's transaction ends, SQLite locks the database —
and reads it back in the same transaction, so two takers never see the same value and a rolled-back taker gives
its number back (no gaps). The row is created at the series' current floor, once, on first use.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import NumberCounter


def next_value(name: str, floor: Callable[[], int]) -> int:
    """Inside the caller's transaction: the series' next value; `floor` gives the last value used before it existed."""
    raised = db.session.execute(
        update(NumberCounter).where(NumberCounter.name == name).values(value=NumberCounter.value + 1)
    )
    if raised.rowcount == 0:
        _create(name, floor)
        db.session.execute(
            update(NumberCounter).where(NumberCounter.name == name).values(value=NumberCounter.value + 1)
        )
    return db.session.scalar(select(NumberCounter.value).where(NumberCounter.name == name))


def _create(name: str, floor: Callable[[], int]) -> None:
    """The series' row at its floor, committed on its own so concurrent first takers queue on one row.

    On the servers it is written by a connection of its own: inserted inside the taker's transaction, each of several
    first takers would keep a lock on the duplicate key and InnoDB would see them deadlock when they then raise it.
    SQLite has one writer at a time, which the taker's transaction already is: it writes there.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(insert(NumberCounter).values(name=name, value=floor()))
        return
    start = floor()
    try:
        with db.engine.begin() as connection:
            connection.execute(insert(NumberCounter).values(name=name, value=start))
    except IntegrityError:
        pass  # another first taker created it: raising it queues behind them
