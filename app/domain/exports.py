"""Background export jobs as rows: what a job's status may become, when it is stalled, expired or out of tries.

A job is queued, then run by a worker (running); it ends done (its file kept for a number of days, then
expired and the file deleted) or failed with a reason. A worker that dies leaves the job running with a
heartbeat that stops: once the lease has passed without one, the job is queued again, or failed when it has
been tried as often as allowed. Nothing here knows Flask or the database.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from app.domain.errors import N_, DomainError

# The reason a job failed because every worker that took it stopped before it finished (a killed process,
# a restarted server); the page words it with the number of tries.
WORKER_LOST = "worker-lost"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"


WAITING = frozenset({JobStatus.QUEUED, JobStatus.RUNNING})  # not finished: a worker has it, or will


class ExportExpired(DomainError):
    """The export's file was kept for its time and deleted."""

    template = N_("This export has expired and its file was deleted. Export the ledger again from the list.")


class ExportNotReady(DomainError):
    """The export has no file to download (still running, failed, or its file is gone)."""

    template = N_("This export has no file to download.")


class JobCannotRun(DomainError):
    """A job no try can complete (its list is unknown, its owner may no longer sign in): failed at once."""

    template = N_("The export cannot run.")


UNKNOWN_SOURCE = N_("The list this export was started from no longer exists.")
OWNER_INACTIVE = N_("The user who started this export may no longer sign in.")


def after_stall(tries: int, max_tries: int) -> JobStatus:
    """A stalled job is queued again while it has tries left; failed otherwise."""
    return JobStatus.QUEUED if tries < max_tries else JobStatus.FAILED


def after_error(tries: int, max_tries: int, final: bool = False) -> JobStatus:
    """A try that raised: queued for another try while tries are left (and the error may pass), else failed."""
    return JobStatus.FAILED if final or tries >= max_tries else JobStatus.QUEUED


def expires_at(status: str, finished_at: dt.datetime | None, ttl: dt.timedelta) -> dt.datetime | None:
    """When a finished export's file is deleted (None while it runs, or when it failed)."""
    if status not in (JobStatus.DONE, JobStatus.EXPIRED) or finished_at is None:
        return None
    return finished_at + ttl


def is_expired(status: str, finished_at: dt.datetime | None, now: dt.datetime, ttl: dt.timedelta) -> bool:
    """Expired: marked so by the cleanup, or done longer ago than the time files are kept."""
    if status == JobStatus.EXPIRED:
        return True
    end = expires_at(status, finished_at, ttl)
    return end is not None and end <= now
