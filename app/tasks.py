"""Background work on Huey: ledger exports and their upkeep, each task in an app context of its own.

The queue lives in Redis when REDIS_URL is set (every app server and worker shares it), otherwise in a SQLite
file in the instance folder (`make run`). Run a worker with `huey_consumer app.tasks.huey` (`make run` starts
one beside the dev server). The queue is only the doorbell: jobs are rows (app.services.exports), so a job
whose worker died is found by its stale heartbeat and enqueued again, every minute and when a worker starts.
Under TESTING, tasks run inline (Huey's immediate mode) unless HUEY_IMMEDIATE says otherwise.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, has_app_context
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.exceptions import RetryTask

import config
from app.extensions import db

if TYPE_CHECKING:
    from app.models import ExportJob, Staff

log = logging.getLogger(__name__)


def make_huey(settings: ModuleType | Any = config) -> Huey:
    """The queue the settings name: Redis when REDIS_URL is set, else a SQLite file."""
    if settings.REDIS_URL:
        return RedisHuey(settings.HUEY_NAME, results=False, url=settings.REDIS_URL)
    path = Path(settings.HUEY_SQLITE_PATH)
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(settings.HUEY_NAME, results=False, filename=str(path))


huey = make_huey()
_worker_app: Flask | None = None
_worker_lock = threading.Lock()
_factory: Callable[[], Flask] | None = None  # the app factory, handed over by `app` (tasks import no app module)
LEDGER_SCOPE = "bangninban.ledger_scope"  # app.extensions key: rebuilds a job's rows, given by the app factory


def use_factory(factory: Callable[[], Flask]) -> None:
    """The factory a worker process builds its app with (`app` calls this when it is imported)."""
    global _factory
    _factory = factory


def init_app(app: Flask, ledger_scope: Callable[[ExportJob, Staff], Any]) -> None:
    """Tests run tasks inline, in the request that queues them; everything else uses the queue. `ledger_scope`
    rebuilds a background export's rows in the worker (the ledger views know their lists' filters)."""
    app.extensions[LEDGER_SCOPE] = ledger_scope
    _follow(app)


def _follow(app: Flask) -> None:
    # One queue per process, several apps in a test session (some not TESTING, like the browser tests' server):
    # whoever enqueues sets the mode, so an app created earlier cannot leave the queue in the wrong one.
    huey.immediate = bool(app.config.get("HUEY_IMMEDIATE", app.testing))


def _app() -> Flask:
    """The app a task runs in: the caller's (inline mode), or one built once per worker process."""
    global _worker_app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]
    with _worker_lock:
        if _worker_app is None:
            if _factory is None:
                raise RuntimeError("app.tasks has no app factory: import the app package first")
            _worker_app = _factory()
        return _worker_app


@contextmanager
def task_context() -> Iterator[Flask]:
    """A fresh app context (and database session) for one task."""
    app = _app()
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()


@huey.task()
def run_export(job_id: int) -> None:
    """One try of a ledger export; a failed try with tries left comes back after LEDGER_JOB_RETRY_DELAY."""
    from app.services.exports import run_job

    with task_context() as app:
        again = run_job(job_id, app.extensions[LEDGER_SCOPE])
        delay = 0 if huey.immediate else app.config["LEDGER_JOB_RETRY_DELAY"]
    if again:
        raise RetryTask(delay=delay or None)


def enqueue_export(job_id: int) -> None:
    """Ring the doorbell for a queued job; if the queue cannot be reached, the minute's sweep rings it later."""
    if has_app_context():
        _follow(current_app)
    try:
        run_export(job_id)
    except Exception:
        log.exception("export job %s: not enqueued; the sweep will enqueue it", job_id)


def start_export(source: str, params: str, rows: int, file_name: str, english: bool, actor: Staff) -> ExportJob:
    """Queue a ledger export of a list (its name and filter arguments) and ring for a worker; the job to poll."""
    from app.services.exports import queue_job

    job = queue_job(source, params, rows, file_name, english, actor)
    enqueue_export(job.id)
    return job


def reclaim_stalled() -> list[int]:
    """Enqueue again the jobs whose worker stopped (or fail them after their last try)."""
    from app.services.exports import reclaim_jobs

    with task_context():
        again = reclaim_jobs()
    for job_id in again:
        enqueue_export(job_id)
    return again


@huey.periodic_task(crontab(minute="*"))
def reclaim_exports() -> None:
    """Every minute: jobs whose worker died are taken up again."""
    reclaim_stalled()


@huey.periodic_task(crontab(minute="17"))
def expire_exports() -> None:
    """Every hour: export files past EXPORT_TTL_DAYS are deleted, their jobs marked expired."""
    from app.services.exports import cleanup_exports

    with task_context():
        report = cleanup_exports()
    if report.expired or report.files:
        log.info("exports: %s expired, %s files removed", report.expired, report.files)


@huey.on_startup()
def reclaim_on_startup() -> None:
    """A worker that (re)starts looks for jobs a dead worker left at once, not at the next minute."""
    reclaim_stalled()
