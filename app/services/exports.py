"""Ledger exports that run in the background: a job row, a worker thread, a file in the instance folder."""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

from flask import Flask, current_app
from flask_babel import force_locale
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.domain.errors import NotFound
from app.extensions import db
from app.models import ExportJob, Staff
from app.models.org import now
from app.services.ledger import LedgerScope, write_ledger
from app.services.uow import transaction


def export_dir() -> Path:
    path = Path(current_app.config.get("EXPORT_DIR") or Path(current_app.instance_path) / "exports")
    path.mkdir(parents=True, exist_ok=True)
    return path


def start_job(scope: LedgerScope, rows: int, file_name: str, english: bool, actor: Staff) -> ExportJob:
    """Queue a ledger export and start its worker; returns the job to poll."""
    with transaction():
        job = ExportJob(token=secrets.token_hex(16), user_id=actor.id, rows_total=rows, file_name=file_name)
        db.session.add(job)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    worker = threading.Thread(target=_run, args=(app, job.id, scope, english), daemon=True, name=f"ledger-{job.id}")
    worker.start()
    return job


def _set(job_id: int, **values: object) -> None:
    # Progress goes through its own short transaction: the export's session is busy streaming rows.
    with Session(db.engine) as session:
        session.execute(update(ExportJob).where(ExportJob.id == job_id).values(**values))
        session.commit()


def _run(app: Flask, job_id: int, scope: LedgerScope, english: bool) -> None:
    with app.app_context(), force_locale("en" if english else "zh"):
        try:
            _set(job_id, status="running")
            job = db.session.get(ExportJob, job_id)
            write_ledger(
                str(export_dir() / f"{job.token}.xlsx"),
                scope,
                english=english,
                max_rows=app.config["LEDGER_MAX_ROWS"],
                progress=lambda done: _set(job_id, rows_done=done),
            )
        except Exception as error:  # the job records any failure for the user instead of dying silently
            db.session.rollback()
            _set(job_id, status="failed", error=str(error)[:2000], finished_at=now())
        else:
            _set(job_id, status="done", finished_at=now())
        finally:
            db.session.remove()


def job_for(token: str, actor: Staff) -> ExportJob:
    """A job of the actor's own (nobody else's export can be polled or downloaded)."""
    job = db.session.query(ExportJob).filter_by(token=token).one_or_none()
    if job is None or job.user_id != actor.id:
        raise NotFound()
    return job


def job_file(job: ExportJob) -> Path:
    return export_dir() / f"{job.token}.xlsx"
