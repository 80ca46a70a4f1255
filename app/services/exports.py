"""Ledger exports that run in the background: a job row, a Huey task (app.tasks), a file in the export folder.

The row is the truth, so any worker on any server can take a job up and any app server can serve its file
(EXPORT_DIR is shared between them). A worker claims a queued job with one conditional UPDATE (its try
number goes up), shows it is alive with a heartbeat while it writes, and every later write names that try:
a worker whose job was taken from it (its lease ran out) stops at its next write. The file is written under
a temporary name and renamed when complete. Finished files expire after EXPORT_TTL_DAYS.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.domain.errors import NotFound
from app.domain.exports import (
    OWNER_INACTIVE,
    WAITING,
    WORKER_LOST,
    ExportExpired,
    ExportNotReady,
    JobCannotRun,
    JobStatus,
    after_error,
    after_stall,
    expires_at,
    is_expired,
)
from app.extensions import db
from app.models import ExportJob, Staff
from app.models.org import now
from app.services.ledger import LedgerScope, write_ledger
from app.services.uow import transaction

log = logging.getLogger(__name__)

ScopeFor = Callable[[ExportJob, Staff], LedgerScope]


def export_dir() -> Path:
    """The folder export files live in: EXPORT_DIR, shared by every app server and worker."""
    path = Path(current_app.config.get("EXPORT_DIR") or Path(current_app.instance_path) / "exports")
    path.mkdir(parents=True, exist_ok=True)
    return path


def job_file(job: ExportJob) -> Path:
    return export_dir() / f"{job.token}.xlsx"


def _part_file(token: str, attempt: int) -> Path:
    return export_dir() / f"{token}.{attempt}.part"


def _ttl() -> dt.timedelta:
    return dt.timedelta(days=current_app.config["EXPORT_TTL_DAYS"])


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=current_app.config["LEDGER_JOB_LEASE_SECONDS"])


def queue_job(source: str, params: str, rows: int, file_name: str, english: bool, actor: Staff) -> ExportJob:
    """Record a ledger export of a list (its name and filter arguments) for a worker to run."""
    with transaction():
        job = ExportJob(
            token=secrets.token_hex(16),
            user_id=actor.id,
            rows_total=rows,
            file_name=file_name,
            source=source,
            params=params,
            locale="en" if english else "zh",
            status=JobStatus.QUEUED.value,
            heartbeat_at=now(),
        )
        db.session.add(job)
    return job


def job_for(token: str, actor: Staff) -> ExportJob:
    """A job of the actor's own (nobody else's export can be polled or downloaded)."""
    job = db.session.query(ExportJob).filter_by(token=token).one_or_none()
    if job is None or job.user_id != actor.id:
        raise NotFound()
    return job


def job_expired(job: ExportJob) -> bool:
    return is_expired(job.status, job.finished_at, now(), _ttl())


def job_expires_at(job: ExportJob) -> dt.datetime | None:
    return expires_at(job.status, job.finished_at, _ttl())


def download_path(job: ExportJob) -> Path:
    """The finished file of a job; ExportExpired once its time is over, ExportNotReady while there is none."""
    if job_expired(job):
        raise ExportExpired()
    path = job_file(job)
    if job.status != JobStatus.DONE or not path.exists():
        raise ExportNotReady()
    return path


# --- the worker's side ---------------------------------------------------------------------------------


class LeaseLost(Exception):
    """Another worker took this job up (this one was thought dead): stop without touching it."""


def _write(job_id: int, attempt: int | None, **values: Any) -> bool:
    """One short transaction of its own (the export's session is busy streaming rows); False if not ours."""
    statement = update(ExportJob).where(ExportJob.id == job_id).values(**values)
    if attempt is not None:
        statement = statement.where(ExportJob.tries == attempt, ExportJob.status == JobStatus.RUNNING.value)
    with Session(db.engine) as session:
        changed = session.execute(statement).rowcount
        session.commit()
    return changed == 1


def _claim(job_id: int) -> int | None:
    """Take a queued job: running, one more try; its try number, or None if it is not queued."""
    with Session(db.engine) as session:
        claimed = session.execute(
            update(ExportJob)
            .where(ExportJob.id == job_id, ExportJob.status == JobStatus.QUEUED.value)
            .values(status=JobStatus.RUNNING.value, tries=ExportJob.tries + 1, heartbeat_at=now(), rows_done=0)
        ).rowcount
        attempt = session.scalar(select(ExportJob.tries).where(ExportJob.id == job_id)) if claimed == 1 else None
        session.commit()
    return attempt


class Heartbeat:
    """While a try runs, a thread stamps the job as alive several times per lease; it notices a lost lease."""

    def __init__(self, job_id: int, attempt: int, every: float) -> None:
        self.job_id, self.attempt, self.every = job_id, attempt, every
        self.lost = False
        self._stop = threading.Event()
        self._app = current_app._get_current_object()  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._beat, daemon=True, name=f"export-heartbeat-{job_id}")

    def _beat(self) -> None:
        with self._app.app_context():
            while not self._stop.wait(self.every):
                try:
                    if not _write(self.job_id, self.attempt, heartbeat_at=now()):
                        self.lost = True
                        return
                except Exception:  # a busy database: the next beat tries again, the lease allows a few misses
                    log.warning("export job %s: heartbeat not recorded", self.job_id, exc_info=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_job(job_id: int, scope_for: ScopeFor) -> bool:
    """Run one try of a queued job to its end; True when it failed but has tries left (run it again later)."""
    config = current_app.config
    attempt = _claim(job_id)
    if attempt is None:
        return False  # done, failed, or another worker has it
    job = db.session.get(ExportJob, job_id)
    part = _part_file(job.token, attempt)
    scratch = export_dir() / f"{job.token}.{attempt}.tmp"  # the writer's own temporary files, for this try only
    scratch.mkdir(exist_ok=True)
    delay = float(config.get("LEDGER_PROGRESS_DELAY") or 0)

    def progress(done: int) -> None:
        if delay:
            time.sleep(delay)  # tests only: a slow export, to kill its worker half-way
        if not _write(job_id, attempt, rows_done=done, heartbeat_at=now()):
            raise LeaseLost()

    try:
        with Heartbeat(job_id, attempt, config["LEDGER_JOB_LEASE_SECONDS"] / 4) as beat:
            owner = db.session.get(Staff, job.user_id)
            if owner is None or not owner.active:
                raise JobCannotRun(OWNER_INACTIVE)
            with force_locale(job.locale):
                scope = scope_for(job, owner)
                stats = write_ledger(
                    str(part),
                    scope,
                    english=job.locale == "en",
                    max_rows=config["LEDGER_MAX_ROWS"],
                    progress=progress,
                    progress_every=config["LEDGER_PROGRESS_EVERY"],
                    tmpdir=str(scratch),
                )
            if beat.lost:
                raise LeaseLost()
        os.replace(part, job_file(job))
        if not _write(job_id, attempt, status=JobStatus.DONE.value, rows_done=stats.items, finished_at=now()):
            log.warning("export job %s: finished by a worker it was taken from; the other try decides", job_id)
        return False
    except LeaseLost:
        log.warning("export job %s: try %s was taken over by another worker", job_id, attempt)
        part.unlink(missing_ok=True)
        return False
    except Exception as error:  # the job records any failure for the user instead of dying silently
        log.exception("export job %s: try %s failed", job_id, attempt)
        db.session.rollback()
        part.unlink(missing_ok=True)
        status = after_error(attempt, config["LEDGER_JOB_MAX_TRIES"], final=isinstance(error, JobCannotRun))
        ended = status == JobStatus.FAILED
        _write(
            job_id,
            attempt,
            status=status.value,
            error=str(error)[:2000],
            heartbeat_at=now(),
            finished_at=now() if ended else None,
        )
        return not ended
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def reclaim_jobs() -> list[int]:
    """Jobs whose worker stopped showing it is alive: queued again (ids returned, to enqueue), or failed.

    A queued job nobody took within the lease (its message lost) is returned too: enqueuing a job twice is
    harmless, only one worker can claim it.
    """
    max_tries = current_app.config["LEDGER_JOB_MAX_TRIES"]
    stamp = now()
    cutoff = stamp - _lease()
    stalled = db.session.execute(
        select(ExportJob.id, ExportJob.status, ExportJob.tries).where(
            ExportJob.status.in_([s.value for s in WAITING]),
            (ExportJob.heartbeat_at.is_(None)) | (ExportJob.heartbeat_at < cutoff),
        )
    ).all()
    db.session.rollback()
    again: list[int] = []
    for job_id, status, tries in stalled:
        unchanged = (
            update(ExportJob)
            .where(ExportJob.id == job_id, ExportJob.status == status, ExportJob.tries == tries)
            .where((ExportJob.heartbeat_at.is_(None)) | (ExportJob.heartbeat_at < cutoff))
        )
        if status == JobStatus.RUNNING and after_stall(tries, max_tries) == JobStatus.FAILED:
            values: dict[str, Any] = {"status": JobStatus.FAILED.value, "error": WORKER_LOST, "finished_at": stamp}
        else:
            values = {"status": JobStatus.QUEUED.value, "heartbeat_at": stamp}
        with Session(db.engine) as session:
            changed = session.execute(unchanged.values(**values)).rowcount
            session.commit()
        if changed == 1 and values["status"] == JobStatus.QUEUED.value:
            log.warning("export job %s: no sign of its worker for the lease, queued again", job_id)
            again.append(job_id)
        elif changed == 1:
            log.warning("export job %s: its worker stopped %s times, failed", job_id, tries)
    return again


@dataclass
class Cleanup:
    expired: int = 0
    files: int = 0


def cleanup_exports() -> Cleanup:
    """Expire finished exports older than EXPORT_TTL_DAYS (their files deleted, rows kept); remove stray files."""
    report = Cleanup()
    stamp = now()
    old = list(
        db.session.execute(
            select(ExportJob.id, ExportJob.token).where(
                ExportJob.status == JobStatus.DONE.value, ExportJob.finished_at <= stamp - _ttl()
            )
        )
    )
    for job_id, token in old:
        with transaction():
            changed = db.session.execute(
                update(ExportJob)
                .where(ExportJob.id == job_id, ExportJob.status == JobStatus.DONE.value)
                .values(status=JobStatus.EXPIRED.value)
            ).rowcount
        if changed == 1:
            report.expired += 1
            path = export_dir() / f"{token}.xlsx"
            if path.exists():
                path.unlink(missing_ok=True)
                report.files += 1
    # Files no live job owns: tries taken over or killed half-way, jobs expired or failed meanwhile.
    live = {
        token: (status, tries)
        for token, status, tries in db.session.execute(
            select(ExportJob.token, ExportJob.status, ExportJob.tries).where(
                ExportJob.status.in_([JobStatus.QUEUED.value, JobStatus.RUNNING.value, JobStatus.DONE.value])
            )
        )
    }
    db.session.rollback()
    recent = time.time() - _lease().total_seconds()
    for path in export_dir().iterdir():
        token, _, rest = path.name.partition(".")
        status, tries = live.get(token, (None, None))
        if rest == "xlsx":  # a try that just finished renames its file a moment before it marks the job done
            keep = status in (JobStatus.DONE, JobStatus.RUNNING)
        else:  # "<try>.part" and "<try>.tmp/": only the try running now may still be writing them
            keep = status == JobStatus.RUNNING and rest in (f"{tries}.part", f"{tries}.tmp")
        if keep or path.stat().st_mtime >= recent:
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        report.files += 1
    return report
