"""Background ledger exports on Huey: a killed worker, retries, tries used up, expiry and stray files.

The first test runs real worker processes (`huey_consumer`) on a SQLite queue file and the test database;
the others run tasks inline (Huey's immediate mode, as every test app does).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import tasks
from app.domain.exports import OWNER_INACTIVE, WORKER_LOST
from app.extensions import db
from app.models import ExportJob, Staff
from app.models.org import now
from app.services import exports
from app.services.clock import local_date
from app.services.exports import cleanup_exports, queue_job, reclaim_jobs, run_job
from app.views.exports import job_ledger_scope
from tests.factories import bulk_cases
from tests.snapshot import written_elsewhere

pytestmark = pytest.mark.every_engine  # jobs claimed and reclaimed under each engine's locking

ROOT = Path(__file__).resolve().parents[2]
CONSUMER = Path(sys.executable).with_name("huey_consumer")


@pytest.fixture(autouse=True)
def export_folder(app: Flask, tmp_path: Path) -> Path:
    """Each test's exports in a folder of its own (the app's folder is shared by the whole session)."""
    kept = app.config["EXPORT_DIR"]
    app.config["EXPORT_DIR"] = str(tmp_path / "exports")
    yield Path(app.config["EXPORT_DIR"])
    app.config["EXPORT_DIR"] = kept


def _staff(username: str) -> Staff:
    return db.session.scalar(select(Staff).where(Staff.username == username))


def _row(job_id: int) -> ExportJob:
    """The job as committed now (the test's own session keeps an older snapshot)."""
    with Session(db.engine, expire_on_commit=False) as session:
        return session.get(ExportJob, job_id)


def _set(job_id: int, **values: object) -> None:
    with Session(db.engine) as session:
        session.execute(update(ExportJob).where(ExportJob.id == job_id).values(**values))
        session.commit()


def _export_dir(app: Flask) -> Path:
    return Path(app.config["EXPORT_DIR"])


def _item_rows(path: Path | bytes) -> int:
    book = openpyxl.load_workbook(io.BytesIO(path) if isinstance(path, bytes) else path, read_only=True)
    try:
        return book["事项台账"].max_row - 3
    finally:
        book.close()


# --- real workers ----------------------------------------------------------------------------------------


def _worker_env(app: Flask, folder: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEDGER_", "HUEY_", "EXPORT_"))}
    env.update(
        {
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "INSTANCE_DIR": str(folder),
            "SECRET_KEY": "test-secret-key",
            "REDIS_URL": "",
            "HUEY_SQLITE_PATH": str(folder / "huey.db"),
            "HUEY_NAME": f"test-{uuid.uuid4().hex[:8]}",
            "EXPORT_DIR": app.config["EXPORT_DIR"],
            "LEDGER_JOB_LEASE_SECONDS": "2",
            "LEDGER_JOB_RETRY_DELAY": "0",
            # 60 item rows, progress saved every 5 rows, each step 0.2 s: over 2 s to kill a worker in.
            "LEDGER_PROGRESS_EVERY": "5",
            "LEDGER_PROGRESS_DELAY": "0.2",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(more)
    return env


def _consumer(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    written_elsewhere()  # the worker process writes the test database: the next test's restore must know
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 — our own worker, our own arguments
            [str(CONSUMER), "app.tasks.huey", "--workers", "1", "--worker-type", "thread"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _enqueue_from_another_process(env: dict[str, str], job_id: int) -> None:
    """What the web server does after queueing a job: ring the queue the environment names."""
    code = f"from app.tasks import enqueue_export, huey; assert not huey.immediate; enqueue_export({job_id})"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=120)  # noqa: S603


def _wait_for(job_id: int, condition: Callable[[ExportJob], bool], seconds: float, logs: Path) -> ExportJob:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        row = _row(job_id)
        if condition(row):
            return row
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} stuck as {row.status} ({row.rows_done} rows):\n{_logs(logs)}")


def _logs(folder: Path) -> str:
    return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(folder.glob("*.log")))


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None and process.poll() is None:
        process.kill()
        process.wait(10)


def test_a_worker_killed_mid_export_leaves_the_job_to_the_next_worker_which_completes_it(app, tmp_path):
    bulk_cases("150621", 30)
    job = queue_job("cases", "", 60, "ledger.xlsx", False, _staff("dlt_supervisor"))
    env = _worker_env(app, tmp_path)
    _enqueue_from_another_process(env, job.id)
    first = second = None
    try:
        first = _consumer(env, tmp_path / "first.log")
        _wait_for(job.id, lambda r: r.status == "running" and r.rows_done > 0, 90, tmp_path)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        time.sleep(0.5)
        stranded = _row(job.id)
        # What the daemon threads used to leave for ever: a job running with nobody running it.
        assert stranded.status == "running" and 0 < stranded.rows_done < 60 and stranded.tries == 1
        time.sleep(2.5)  # the lease (2 s) runs out without a heartbeat
        second = _consumer(env, tmp_path / "second.log")
        finished = _wait_for(job.id, lambda r: r.status not in ("queued", "running"), 90, tmp_path)
    finally:
        _stop(first)
        _stop(second)
    assert finished.status == "done", _logs(tmp_path)
    assert finished.tries == 2 and finished.rows_done == 60 and finished.error == ""
    assert _item_rows(_export_dir(app) / f"{job.token}.xlsx") == 60
    # The killed try's scratch files are left behind; the cleanup removes them and keeps the finished file.
    # (The workers' own hourly cleanup, at minute 17, removes them too when the test runs across that minute.)
    leftovers = {p.name for p in _export_dir(app).iterdir()} - {f"{job.token}.xlsx"}
    assert leftovers <= {f"{job.token}.1.tmp"}
    app.config["LEDGER_JOB_LEASE_SECONDS"] = 0
    try:
        assert cleanup_exports().files == len(leftovers)
    finally:
        app.config["LEDGER_JOB_LEASE_SECONDS"] = 120
    assert [p.name for p in _export_dir(app).iterdir()] == [f"{job.token}.xlsx"]


def test_with_redis_url_set_jobs_go_through_redis_to_a_worker(app, tmp_path):
    url = "redis://127.0.0.1:6379/2"  # the jobs' own Redis database number
    bulk_cases("150621", 3)
    job = queue_job("items", "", 6, "ledger.xlsx", True, _staff("dlt_supervisor"))
    env = _worker_env(app, tmp_path, REDIS_URL=url, LEDGER_PROGRESS_DELAY="0")
    queue = tasks.make_huey(_Settings(env))
    worker = None
    try:
        _enqueue_from_another_process(env, job.id)
        assert queue.pending_count() == 1  # the message waits in Redis, not in a file
        worker = _consumer(env, tmp_path / "redis.log")
        finished = _wait_for(job.id, lambda r: r.status not in ("queued", "running"), 90, tmp_path)
    finally:
        _stop(worker)
        queue.storage.flush_all()  # only this queue's keys
    assert finished.status == "done" and finished.tries == 1, _logs(tmp_path)
    book = openpyxl.load_workbook(_export_dir(app) / f"{job.token}.xlsx", read_only=True)
    assert "Items" in book.sheetnames  # the job's language (English) was kept for the worker
    book.close()


class _Settings:
    def __init__(self, env: dict[str, str]) -> None:
        self.REDIS_URL = env["REDIS_URL"] or None
        self.HUEY_NAME = env["HUEY_NAME"]
        self.HUEY_SQLITE_PATH = env["HUEY_SQLITE_PATH"]


def test_the_queue_is_a_sqlite_file_without_redis_url_and_redis_with_it(tmp_path):
    settings = _Settings({"REDIS_URL": "", "HUEY_NAME": "t", "HUEY_SQLITE_PATH": str(tmp_path / "q" / "huey.db")})
    assert type(tasks.make_huey(settings)).__name__ == "SqliteHuey" and (tmp_path / "q" / "huey.db").exists()
    settings.REDIS_URL = "redis://127.0.0.1:6379/2"
    assert type(tasks.make_huey(settings)).__name__ == "RedisHuey"


# --- inline tries ------------------------------------------------------------------------------------------


@pytest.fixture
def background(app, login):
    """A supervisor whose every ledger export of more than 10 rows runs as a job; returns (client, job page)."""
    bulk_cases("150621", 30)
    app.config["LEDGER_BACKGROUND_ROWS"] = 10

    def start(path: str = "/caselist/ledger") -> tuple[object, str]:
        client = login("dlt_supervisor")
        response = client.get(path)
        assert response.status_code == 302 and "/ledger/jobs/" in response.headers["Location"]
        return client, response.headers["Location"]

    yield start
    app.config["LEDGER_BACKGROUND_ROWS"] = 20000


def _get(client: object, url: str) -> object:
    """A request as a browser makes it later: the test's session (shared with the client) first ends its snapshot."""
    db.session.rollback()
    return client.get(url)


def _job_of(url: str) -> ExportJob:
    return db.session.scalar(select(ExportJob).where(ExportJob.token == url.rstrip("/").rsplit("/", 1)[1]))


def test_an_export_that_keeps_failing_is_tried_the_allowed_times_then_shows_failed_with_its_reason(
    background, monkeypatch
):
    calls = []

    def broken(*args: object, **kwargs: object) -> None:
        calls.append(1)
        raise OSError("No space left on device")

    monkeypatch.setattr(exports, "write_ledger", broken)
    client, url = background()
    page = _get(client, url).get_data(as_text=True)
    assert len(calls) == 3  # LEDGER_JOB_MAX_TRIES
    assert 'data-status="failed"' in page and "导出失败" in page and "No space left on device" in page
    job = _row(_job_of(url).id)
    assert job.tries == 3 and job.finished_at is not None
    assert _get(client, url + "/download").status_code == 404
    assert not list(_export_dir(client.application).iterdir())  # no half-written file or scratch folder


def test_an_error_that_passes_is_retried_and_the_export_completes(background, monkeypatch):
    real = exports.write_ledger
    calls = []

    def flaky(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("server closed the connection unexpectedly")
        return real(*args, **kwargs)

    monkeypatch.setattr(exports, "write_ledger", flaky)
    client, url = background()
    assert 'data-status="done"' in _get(client, url).get_data(as_text=True)
    assert _row(_job_of(url).id).tries == 2
    download = _get(client, url + "/download")
    assert download.status_code == 200 and _item_rows(download.data) == 60
    download.close()


def test_a_testing_app_runs_its_jobs_inline_whatever_mode_another_app_left_the_queue_in(background):
    tasks.huey.immediate = False  # what creating the browser tests' server (an app without TESTING) does
    client, url = background()
    assert 'data-status="done"' in _get(client, url).get_data(as_text=True)
    assert tasks.huey.immediate


def test_a_background_export_of_a_filtered_list_keeps_the_filter_in_the_worker(background):
    client, url = background("/caseitems/ledger?_flt_2_name=取水")
    download = _get(client, url + "/download")
    assert download.status_code == 200 and _item_rows(download.data) == 30
    download.close()


def test_a_job_whose_worker_stopped_is_queued_again_and_completes(app):
    bulk_cases("150621", 5)
    job = queue_job("cases", "", 10, "ledger.xlsx", False, _staff("dlt_supervisor"))
    fresh = queue_job("cases", "", 10, "ledger.xlsx", False, _staff("dlt_supervisor"))
    _set(job.id, status="running", tries=1, rows_done=4, heartbeat_at=now() - dt.timedelta(minutes=5))
    assert tasks.reclaim_stalled() == [job.id]  # the fresh job's message is still in the queue: left alone
    finished = _row(job.id)
    assert finished.status == "done" and finished.tries == 2 and finished.rows_done == 10
    assert _row(fresh.id).status == "queued"


def test_a_queued_job_whose_message_was_lost_is_enqueued_again(app):
    bulk_cases("150621", 2)
    job = queue_job("cases", "", 4, "ledger.xlsx", False, _staff("dlt_supervisor"))
    _set(job.id, heartbeat_at=now() - dt.timedelta(minutes=5))
    assert tasks.reclaim_stalled() == [job.id]
    assert _row(job.id).status == "done"


def test_a_job_whose_workers_keep_dying_ends_failed_and_its_page_says_why(app, login):
    owner = _staff("dlt_supervisor")
    job = queue_job("cases", "", 10, "ledger.xlsx", False, owner)
    _set(job.id, status="running", tries=3, heartbeat_at=now() - dt.timedelta(minutes=5))
    assert reclaim_jobs() == []
    failed = _row(job.id)
    assert failed.status == "failed" and failed.error == WORKER_LOST and failed.finished_at is not None
    page = _get(login("dlt_supervisor"), f"/ledger/jobs/{job.token}").get_data(as_text=True)
    assert 'data-status="failed"' in page and "已尝试 3 次" in page


def test_a_running_job_with_a_live_heartbeat_is_not_taken_from_its_worker(app):
    job = queue_job("cases", "", 10, "ledger.xlsx", False, _staff("dlt_supervisor"))
    _set(job.id, status="running", tries=1, heartbeat_at=now() - dt.timedelta(seconds=30))
    assert reclaim_jobs() == []
    assert _row(job.id).status == "running"


def test_a_try_whose_job_was_taken_over_stops_without_writing_anything(app):
    bulk_cases("150621", 10)
    job = queue_job("cases", "", 20, "ledger.xlsx", False, _staff("dlt_supervisor"))
    app.config["LEDGER_PROGRESS_EVERY"] = 5

    def taken_over(job_row: ExportJob, owner: Staff) -> object:
        # While this try starts, the sweep thought it dead and another worker claimed it (try 2).
        _set(job.id, tries=2, heartbeat_at=now())
        return job_ledger_scope(job_row, owner)

    try:
        assert run_job(job.id, taken_over) is False
    finally:
        app.config["LEDGER_PROGRESS_EVERY"] = 5000
    row = _row(job.id)
    assert row.status == "running" and row.tries == 2 and row.rows_done == 0  # the other try's, untouched
    assert not list(_export_dir(app).iterdir())


def test_the_export_of_a_deactivated_user_fails_at_once(app):
    owner = _staff("dlt_supervisor")
    job = queue_job("cases", "", 10, "ledger.xlsx", False, owner)
    _set_staff_active(owner.id, False)
    tasks.enqueue_export(job.id)
    row = _row(job.id)
    assert row.status == "failed" and row.tries == 1 and row.error == OWNER_INACTIVE


def _set_staff_active(staff_id: int, active: bool) -> None:
    with Session(db.engine) as session:
        session.execute(update(Staff).where(Staff.id == staff_id).values(active=active))
        session.commit()


# --- expiry ------------------------------------------------------------------------------------------------


def test_a_finished_export_expires_after_the_configured_days_and_the_cleanup_deletes_its_file(app, background):
    client, url = background()
    job = _job_of(url)
    path = _export_dir(app) / f"{job.token}.xlsx"
    assert path.exists()
    page = _get(client, url).get_data(as_text=True)
    expires_on = local_date(_row(job.id).finished_at + dt.timedelta(days=7)).isoformat()  # the day in Ordos
    assert 'data-status="done"' in page and expires_on in page
    _set(job.id, finished_at=now() - dt.timedelta(days=8))
    app.config["EXPORT_TTL_DAYS"] = 30
    try:
        assert 'data-status="done"' in _get(client, url).get_data(as_text=True)
    finally:
        app.config["EXPORT_TTL_DAYS"] = 7
    # Past the 7 days: the page says so and the download is gone (410), before and after the cleanup.
    assert 'data-status="expired"' in _get(client, url).get_data(as_text=True)
    gone = _get(client, url + "/download")
    assert gone.status_code == 410 and "已过期" in gone.get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["exports", "cleanup"])
    assert result.exit_code == 0 and "1 exports expired; 1 files removed" in result.output
    assert not path.exists() and _row(job.id).status == "expired"
    page = _get(client, url).get_data(as_text=True)
    assert 'data-status="expired"' in page and "已过期" in page
    assert _get(client, url + "/download").status_code == 410


def test_the_cleanup_removes_files_no_live_job_owns_and_keeps_the_rest(app):
    owner = _staff("dlt_supervisor")
    done, failed, running = (queue_job("cases", "", 1, "l.xlsx", False, owner) for _ in range(3))
    _set(done.id, status="done", finished_at=now())
    _set(failed.id, status="failed", tries=3, finished_at=now())
    _set(running.id, status="running", tries=2, heartbeat_at=now())
    folder = exports.export_dir()
    names = [
        f"{done.token}.xlsx",  # kept: a finished export within its days
        f"{failed.token}.2.part",  # removed: the job failed
        f"{running.token}.1.part",  # removed: an earlier try of a running job
        f"{running.token}.2.part",  # kept: the try writing it now
        "0123456789abcdef.xlsx",  # removed: no such job
    ]
    for name in names:
        (folder / name).write_bytes(b"x")
    (folder / f"{running.token}.1.tmp").mkdir()  # removed: an earlier try's scratch folder
    old = time.time() - 3600
    for path in folder.iterdir():
        os.utime(path, (old, old))
    (folder / "fedcba9876543210.xlsx").write_bytes(b"x")  # kept for now: written a moment ago
    assert cleanup_exports().files == 4
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{done.token}.xlsx", f"{running.token}.2.part", "fedcba9876543210.xlsx"]
    )


# --- several app servers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("hops", "seen"), [(0, "127.0.0.1"), (1, "10.8.0.7")])
def test_behind_a_trusted_proxy_the_app_sees_the_users_address_and_only_then(migrated_app, hops, seen):
    from flask import request

    from tests.conftest import make_app

    served = make_app(migrated_app.config["SQLALCHEMY_DATABASE_URI"], TRUSTED_PROXIES=hops)
    served.add_url_rule("/_address", "address", lambda: f"{request.remote_addr} {request.scheme}")
    answer = served.test_client().get(
        "/_address",
        headers={"X-Forwarded-For": "10.8.0.7", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert answer.get_data(as_text=True) == f"{seen} {'https' if hops else 'http'}"
    with served.app_context():
        db.engine.dispose()
