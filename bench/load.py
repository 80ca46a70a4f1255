"""Load and concurrency benchmark: gunicorn on PostgreSQL with the 20,000-case data set.

    python bench/load.py [--cases 20000] [--users 16] [--seconds 60] [--workers 4] [--instances 1]
                         [--think 0] [--redis redis://127.0.0.1:6379/2]
                         [--database postgresql+psycopg://postgres@127.0.0.1:5432/bench_load]

Half the users are liaisons of one department (达拉特旗水利局) moving the same items at once
(accept, review, approve, ask for supplement, resubmit — with the version they read); the other half
are agents reading the case list, the item list and their queue. Prints throughput, p50/p95 latency,
errors, conflicts, and checks for lost updates: every move the server confirmed must be in the case
timeline, and none that it refused.

With --instances N, N gunicorn instances (each with --workers workers) serve on N ports as N app servers
behind a round-robin proxy would, with no sticky sessions: every user sends each request to the next
instance. They share only the database, Redis (--redis: sessions, rate limits and the job queue; without
it sessions are in the database and the queue is a SQLite file) and one export folder. Then one user
starts a background ledger export on one instance, follows it on the others (a Huey worker runs it) and
downloads it from another.

Before the load, one user alone times the same pages (their median is the yardstick: the target is
p95 under load ≤ 4× it). With --think S every user pauses about S seconds between clicks, as people do;
without it every user clicks again the moment a page arrives, and p95 grows with users per core whatever
the pages cost (16 such users on 2 cores wait for each other: about 8× a page's own time at best).
Ends with one line:
    load users=… think_s=… requests=… rps=… p50_ms=… p95_ms=… single_median_ms=… p95_ratio=… errors=…
         conflicts=… confirmed=… lost=… instances=… export=…
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "Load-Test-Pass-2026"
TOKEN = re.compile(
    r'name="csrf_token"[^>]*value="([^"]+)"|id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"'
)


def prepare(url: str, n_cases: int, n_liaisons: int, n_agents: int) -> None:
    """A fresh database: migrated, seeded, N cases, and the load-test users."""
    from flask_migrate import upgrade
    from sqlalchemy import MetaData, select, text, update
    from werkzeug.security import generate_password_hash

    from app import create_app
    from app.extensions import db
    from app.models import Case, CaseItem, Department, Region, Staff
    from app.services.roles import sync_roles
    from bench.ledger import fill_cases

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "load"})
    with app.app_context():
        metadata = MetaData()
        metadata.reflect(db.engine)
        with db.engine.begin() as connection:
            metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        sync_roles()
        fill_cases(n_cases)
        dalate = db.session.scalar(select(Region).where(Region.code == "150621"))
        water = db.session.scalar(
            select(Department).where(Department.region_id == dalate.id, Department.kind == "水利部门")
        )
        # Work for the liaisons: this banner's water items of open cases, in states they can move.
        open_cases = select(Case.id).where(Case.region_id == dalate.id)
        db.session.execute(update(Case).where(Case.id.in_(open_cases)).values(state="in_progress", closed_on=None))
        db.session.execute(
            update(CaseItem)
            .where(CaseItem.case_id.in_(open_cases), CaseItem.department_id == water.id)
            .values(state="planned", accepted_on=None, closed_on=None, due_on=None)
        )
        sm = app.appbuilder.sm
        hashed = generate_password_hash(PASSWORD)
        for k in range(n_liaisons):
            db.session.add(
                Staff(
                    username=f"load_liaison_{k}",
                    email=f"ll{k}@load.invalid",
                    first_name=f"联络员{k}",
                    last_name="",
                    active=True,
                    password=hashed,
                    roles=[sm.find_role("Liaison")],
                    region=dalate,
                    department=water,
                )
            )
        for k in range(n_agents):
            db.session.add(
                Staff(
                    username=f"load_agent_{k}",
                    email=f"la{k}@load.invalid",
                    first_name=f"代办员{k}",
                    last_name="",
                    active=True,
                    password=hashed,
                    roles=[sm.find_role("Agent")],
                    region=dalate,
                )
            )
        db.session.commit()
        # Fresh statistics, as autovacuum would have them on a database that grew over time.
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        db.engine.dispose()


class Browser:
    """One user's session over plain HTTP: cookies, CSRF tokens, timings; each request to the next instance."""

    def __init__(self, bases: list[str], stats: dict, first: int = 0) -> None:
        self.bases, self.stats, self.turn = bases, stats, first
        # Cookies do not tell ports apart: one jar serves the user on every instance, as behind one proxy.
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def next_base(self) -> str:
        base = self.bases[self.turn % len(self.bases)]
        self.turn += 1
        return base

    def fetch(self, path: str) -> tuple[int, bytes]:
        """A download: its status and bytes (no timing)."""
        try:
            with self.opener.open(self.next_base() + path, timeout=120) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            error.close()
            return error.code, b""

    def request(self, path: str, data: dict | None = None) -> str:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        start = time.perf_counter()
        try:
            with self.opener.open(self.next_base() + path, data=body, timeout=60) as response:
                page = response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            page = ""
            if error.code >= 500:
                self.stats["errors"] += 1
        except OSError:
            page = ""
            self.stats["errors"] += 1
        with self.stats["lock"]:
            self.stats["latencies"].append(time.perf_counter() - start)
        return page

    def token(self, page: str) -> str:
        match = TOKEN.search(page)
        return (match.group(1) or match.group(2)) if match else ""

    def login(self, username: str) -> None:
        page = self.request("/login/")
        self.request("/login/", {"username": username, "password": PASSWORD, "csrf_token": self.token(page)})


def liaison(
    bases: list[str], username: str, items: list[tuple[int, int]], stop: float, stats: dict, k: int, think: float = 0
) -> None:
    """Open a case page, read an item's version and next steps, take one (pausing `think` seconds between)."""
    user = Browser(bases, stats, k)
    user.login(username)
    rng = random.Random(username)
    while time.monotonic() < stop:
        _pause(rng, think)
        item_id, case_id = rng.choice(items)
        if rng.random() < 0.05:
            user.request("/queue/items")
        page = user.request(f"/cases/{case_id}")
        row = re.search(rf'data-item="{item_id}">(.*?)</tr>', page, re.S)
        if not row:
            continue
        # The step buttons carry the item's version (one shared form per page); older pages had it in a field.
        version = re.search(r'(?:name="version" value|data-version)="(\d+)"', row.group(1))
        actions = [a for a in re.findall(r'data-action="(\w+)"', row.group(1)) if a not in ("reject", "withdraw")]
        if not version or not actions:
            continue
        action = rng.choice(actions)
        result = user.request(
            f"/cases/item/{item_id}/{action}",
            {
                "csrf_token": user.token(page),
                "version": version.group(1),
                "note": "负载测试",
                "next": f"/cases/{case_id}",
            },
        )
        with stats["lock"]:
            if "已完成" in result:
                stats["confirmed"] += 1
            elif "该记录已被" in result:
                stats["conflicts"] += 1
            else:
                stats["refused"] += 1


AGENT_PAGES = ["/caselist/list/", "/caseitems/list/", "/queue/cases", "/caselist/list/?psize_CaseView=100"]


def agent(bases: list[str], username: str, stop: float, stats: dict, k: int, think: float = 0) -> None:
    user = Browser(bases, stats, k)
    user.login(username)
    rng = random.Random(username)
    while time.monotonic() < stop:
        _pause(rng, think)
        user.request(rng.choice(AGENT_PAGES))


def _pause(rng: random.Random, think: float) -> None:
    """A person between two clicks: `think` seconds on average (0: none, every user clicks at once)."""
    if think:
        time.sleep(rng.uniform(0.5 * think, 1.5 * think))


def single_user_median(bases: list[str], items: list[tuple[int, int]], rounds: int = 8) -> float:
    """Milliseconds: the median time of the load's pages for one user alone (an agent, then a liaison)."""
    stats = {"latencies": [], "errors": 0, "lock": threading.Lock()}
    reader = Browser(bases, stats)
    reader.login("load_agent_0")
    mover = Browser(bases, stats)
    mover.login("load_liaison_0")
    stats["latencies"].clear()  # sign-in pages are not part of the comparison
    for _ in range(rounds):
        for path in AGENT_PAGES:
            reader.request(path)
        mover.request("/queue/items")
        for _, case_id in items[:4]:
            mover.request(f"/cases/{case_id}")
    return statistics.median(stats["latencies"]) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers per instance")
    parser.add_argument("--instances", type=int, default=1, help="app servers, each request to the next one")
    parser.add_argument("--redis", default=None, help="REDIS_URL shared by the instances (e.g. …/2)")
    parser.add_argument("--think", type=float, default=0, help="seconds each user pauses between clicks (mean)")
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_load")
    args = parser.parse_args()
    if args.database.startswith("postgresql"):
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", "CREATE DATABASE bench_load"],
            capture_output=True,
            check=False,
        )
    liaisons, agents = args.users // 2, args.users - args.users // 2
    start = time.perf_counter()
    prepare(args.database, args.cases, liaisons, agents)
    print(f"prepared {args.cases} cases and {args.users} users in {time.perf_counter() - start:.0f} s")

    from sqlalchemy import create_engine, text

    engine = create_engine(args.database)
    with engine.connect() as conn:
        item_ids = [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT i.id, i.case_id FROM case_item i JOIN agency_case c ON c.id = i.case_id "
                    "JOIN region r ON r.id = c.region_id JOIN department d ON d.id = i.department_id "
                    "WHERE r.code = '150621' AND d.kind = '水利部门' ORDER BY i.id LIMIT 40"
                )
            )
        ]
        events_before = conn.execute(text("SELECT count(*) FROM case_event WHERE item_id IS NOT NULL")).scalar()
    shared = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env = _shared_env(args, shared)
    ports = [_free_port() for _ in range(args.instances)]
    servers = [_gunicorn(port, args.workers, env, shared / f"gunicorn-{port}.log") for port in ports]
    worker = None
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for base in bases:
            _wait(base)
        alone = single_user_median(bases, item_ids)
        stats = {"latencies": [], "errors": 0, "confirmed": 0, "conflicts": 0, "refused": 0, "lock": threading.Lock()}
        stop = time.monotonic() + args.seconds
        threads = [
            threading.Thread(target=liaison, args=(bases, f"load_liaison_{k}", item_ids, stop, stats, k, args.think))
            for k in range(liaisons)
        ]
        threads += [
            threading.Thread(target=agent, args=(bases, f"load_agent_{k}", stop, stats, k, args.think))
            for k in range(agents)
        ]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
        worker = _consumer(env, shared / "worker.log")
        export = _export_across(bases, stats)
    finally:
        for process in [*servers, worker]:
            if process is not None:
                process.terminate()
                process.wait(30)
        _clean_redis(env)
    with engine.connect() as conn:
        events_after = conn.execute(
            text("SELECT count(*) FROM case_event WHERE item_id IS NOT NULL AND action <> 'start'")
        ).scalar()
    moved = events_after - events_before
    latencies = sorted(stats["latencies"])
    p50 = statistics.median(latencies) * 1000
    p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000
    lost = abs(moved - stats["confirmed"])
    print(
        f"{len(latencies)} requests in {elapsed:.0f} s by {args.users} users ({liaisons} liaisons on the same "
        f"{len(item_ids)} items, {agents} agents reading lists), {args.instances} instance(s) of "
        f"{args.workers} gunicorn workers, sessions and queue in {'Redis' if args.redis else 'the database'}"
    )
    print(
        f"moves confirmed {stats['confirmed']}, refused as conflicts {stats['conflicts']}, other refusals "
        f"{stats['refused']}; timeline entries added {moved}"
    )
    print(f"background export: {export}")
    print(f"one user alone: median {alone:.0f} ms over the same pages; under load p95 is {p95 / alone:.1f}× that")
    print(
        f"load users={args.users} think_s={args.think:g} requests={len(latencies)} rps={len(latencies) / elapsed:.1f} "
        f"p50_ms={p50:.0f} p95_ms={p95:.0f} single_median_ms={alone:.0f} p95_ratio={p95 / alone:.2f} "
        f"errors={stats['errors']} conflicts={stats['conflicts']} confirmed={stats['confirmed']} "
        f"lost={lost} instances={args.instances} export={export.split()[0]}"
    )


def _shared_env(args: argparse.Namespace, shared: Path) -> dict[str, str]:
    """What every instance and the worker share: database, secret, Redis or a queue file, the export folder."""
    env = {
        **os.environ,
        "DATABASE_URL": args.database,
        "SECRET_KEY": "load-secret",
        "INSTANCE_DIR": str(shared / "instance"),
        "EXPORT_DIR": str(shared / "exports"),
        "HUEY_SQLITE_PATH": str(shared / "huey.db"),
        "HUEY_NAME": "bench-load",
        "REDIS_URL": args.redis or "",
        "SESSION_KEY_PREFIX": "bench-load:session:",  # what the run leaves in Redis is removed at its end
        "RATELIMIT_KEY_PREFIX": "bench-load",
        "LEDGER_BACKGROUND_ROWS": "1",  # the one export of the run goes through the queue
    }
    return env


def _gunicorn(port: int, workers: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
                "--timeout",
                "120",
                "app:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _consumer(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(Path(sys.executable).with_name("huey_consumer")), "app.tasks.huey", "-w", "1", "-k", "thread"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _export_across(bases: list[str], stats: dict) -> str:
    """Start a background ledger export on one instance, follow it and download it on the others."""
    user = Browser(bases, stats)
    user.login("load_agent_0")
    began = time.perf_counter()
    with user.opener.open(user.next_base() + "/caselist/ledger", timeout=120) as response:
        started_on, job_url = response.url.split("/ledger/jobs/")[0], urllib.parse.urlsplit(response.url).path
        response.read()
    if "/ledger/jobs/" not in job_url:
        return "failed (the export did not start in the background)"
    seen_on: set[str] = set()
    status = ""
    while time.perf_counter() - began < 600:
        base = user.bases[user.turn % len(user.bases)]
        page = user.request(job_url)
        found = re.search(r'data-status="(\w+)"', page)
        status = found.group(1) if found else "?"
        seen_on.add(base)
        if status in ("done", "failed"):
            break
        time.sleep(0.5)
    if status != "done":
        return f"failed (status {status})"
    downloads = {}
    for _ in bases:
        base = user.bases[user.turn % len(user.bases)]
        code, data = user.fetch(job_url + "/download")
        downloads[base] = (code, len(data), data[:2] == b"PK")
    if not all(code == 200 and is_zip for code, _, is_zip in downloads.values()):
        return f"failed (downloads {downloads})"
    size = next(iter(downloads.values()))[1]
    return (
        f"ok in {time.perf_counter() - began:.1f} s: started on {started_on}, followed on {len(seen_on)} "
        f"instance(s), the {size // 1024} KB file downloaded from each of {len(downloads)}"
    )


def _clean_redis(env: dict[str, str]) -> None:
    """Leave nothing of the run in Redis: its job queue, sessions and rate-limit counters (by their prefixes)."""
    if env["REDIS_URL"]:
        from types import SimpleNamespace

        import redis

        from app.tasks import make_huey

        make_huey(SimpleNamespace(REDIS_URL=env["REDIS_URL"], HUEY_NAME=env["HUEY_NAME"])).storage.flush_all()
        client = redis.Redis.from_url(env["REDIS_URL"])
        for key in client.scan_iter(match="*bench-load*"):
            client.delete(key)
        client.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/login/", timeout=2).close()  # noqa: S310 — our own local server
            return
        except OSError:
            time.sleep(0.5)
    sys.exit("the server did not start")


if __name__ == "__main__":
    main()
