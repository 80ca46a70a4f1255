"""Page benchmark: the main pages rendered through the test client vs. the bare SQL each of them runs.

    python bench/pages.py [--cases 20000] [--db PATH | --database URL] [--repeat 9] [--runs 5] [--profile PAGE]

Builds (or reuses) the data set of bench/dashboard.py (20,000 cases with 5 items each, meetings, decisions,
escalations, staff and training in proportion) plus the timelines of the cases under way, on SQLite (`--db`,
default a temporary file) or on a server (`--database postgresql+psycopg://…`, emptied first). Then for each
page (the case list, the item list, the liaison queue, the agent queue, a case page and the supervisor's
dashboard) it signs the page's user in, renders the page twice to warm up, records the SQL statements one
rendering runs (with their parameters), and times, `--repeat` times each, the page through Flask's test
client and the same statements re-run bare on a DB-API cursor (rows fetched); the best of those repeats is one
run's figure. The whole measurement runs `--runs` times (5): the median run counts, and min/median/max show
the noise of a shared machine. One line per page:
    <page> server_ms=… sql_ms=… ratio=<median> ratio_min/median/max=… queries=… html_kb=…
and a last line:
    pages runs=5 worst_ratio=<median> worst_min/median/max=… worst=<page> queries=<sum> html_kb=<sum>
Targets: each page's server time ≤ 3× its own SQL on PostgreSQL, ≤ 4× on SQLite. `--profile PAGE` prints a profile of it
(pyinstrument, else cProfile); `--clock cpu` times CPU instead of wall time (steadier on a busy machine; on
SQLite the database works in this process, so its time counts too; not for a database server).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dashboard import PASSWORD, TODAY, fill  # noqa: E402  (the data set is the dashboard benchmark's)

# (page, user, url); "{case}" and "{liaison}" are filled in from the data (see `pick`).
PAGES = (
    ("case_list", "agent", "/caselist/list/"),
    ("item_list", "agent", "/caseitems/list/"),
    ("liaison_queue", "{liaison}", "/queue/items"),
    ("agent_queue", "agent", "/queue/cases"),
    ("case_page", "agent", "/cases/{case}"),
    ("dashboard", "supervisor", "/"),
)


def make_app(url: str) -> Any:
    os.environ["DATABASE_URL"] = url
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "TODAY": TODAY.isoformat(),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )


def build(url: str, n_cases: int) -> dict[str, int]:
    """An emptied, migrated, seeded database with n_cases cases and everything around them."""
    from flask_migrate import upgrade
    from sqlalchemy import MetaData, text
    from werkzeug.security import generate_password_hash

    from app.extensions import db
    from app.services.roles import sync_roles
    from app.services.seeding import seed_demo, seed_reference

    app = make_app(url)
    with app.app_context():
        metadata = MetaData()
        metadata.reflect(db.engine)
        with db.engine.begin() as connection:
            metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        sync_roles()
        seed_reference()
        hashed = generate_password_hash(PASSWORD)
        seed_demo(hashed)
        counts = fill(n_cases, hashed)
        counts["case_event"] = add_timelines()
        db.session.commit()
        with db.engine.connect() as connection:  # planner statistics, as a live database has them (autovacuum)
            connection.execute(text("ANALYZE"))
            connection.commit()
        db.session.remove()
        db.engine.dispose()
    return counts


def add_timelines() -> int:
    """The timeline entries a case under way has by now: its own steps, the plan naming every item, each
    item's added and accepted entries (bench/dashboard.py builds none)."""
    from sqlalchemy import insert, select

    from app.domain.visibility import plan_summary
    from app.extensions import db
    from app.models import Case, CaseEvent, CaseItem

    at = dt.datetime(2026, 11, 27, 9, 0)
    items: dict[int, list[Any]] = {}
    for row in db.session.execute(
        select(CaseItem.case_id, CaseItem.id, CaseItem.name, CaseItem.planned_filing_on, CaseItem.accepted_on)
        .join(Case, Case.id == CaseItem.case_id)
        .where(Case.state.in_(("planned", "in_progress")))
        .order_by(CaseItem.case_id, CaseItem.position)
    ):
        items.setdefault(row.case_id, []).append(row)
    events = []

    def event(case_id: int, action: str, on: dt.date | None, note: str = "", item_id: int | None = None) -> None:
        subject = ("item", item_id) if item_id else ("case", case_id)
        events.append(
            {"subject_type": subject[0], "subject_id": subject[1], "case_id": case_id, "item_id": item_id}
            | {"action": action, "on_date": on, "note": note, "at": at, "from_state": None, "to_state": None}
        )

    for case_id, applied_on in db.session.execute(
        select(Case.id, Case.applied_on).where(Case.state.in_(("planned", "in_progress")))
    ):
        rows = items.get(case_id, [])
        event(case_id, "submit", applied_on)
        for row in rows:
            event(case_id, "add_item", applied_on, row.name, row.id)
        for action in ("accept", "entrust"):
            event(case_id, action, applied_on)
        event(case_id, "plan_schedule", applied_on, plan_summary((r.name, r.planned_filing_on) for r in rows))
        event(case_id, "plan", applied_on)
        for row in rows:
            if row.accepted_on:
                event(case_id, "accept", row.accepted_on, "", row.id)
        if rows:
            event(case_id, "start", rows[0].accepted_on or applied_on, rows[0].name)
    connection = db.session.connection()
    for start in range(0, len(events), 20000):
        connection.execute(insert(CaseEvent), events[start : start + 20000])
    db.session.commit()
    return len(events)


def pick() -> dict[str, str]:
    """The liaison with the longest queue (a full 200-row page) and the agent's busiest open case."""
    from sqlalchemy import func, select

    from app.domain.workflow import OPEN_ITEM_VALUES
    from app.extensions import db
    from app.models import Case, CaseEvent, CaseItem, Staff

    busiest = (
        select(CaseItem.department_id, func.count(CaseItem.id).label("n"))
        .join(Case, Case.id == CaseItem.case_id)
        .where(CaseItem.state.in_(OPEN_ITEM_VALUES), Case.state.in_(("planned", "in_progress")))
        .group_by(CaseItem.department_id)
        .subquery()
    )
    liaison = db.session.scalar(
        select(Staff.username)
        .join(busiest, busiest.c.department_id == Staff.department_id)
        .where(Staff.active.is_(True), Staff.department_id.is_not(None))
        .order_by(busiest.c.n.desc(), Staff.id)
    )
    agent = db.session.scalar(select(Staff).where(Staff.username == "agent"))
    events = select(func.count(CaseEvent.id)).where(CaseEvent.case_id == Case.id).scalar_subquery()
    case = db.session.scalar(
        select(Case.id)
        .where(Case.region_id == agent.region_id, Case.state == "in_progress")
        .order_by(events.desc(), Case.id)
    )
    return {"liaison": liaison, "case": str(case)}


def signed_in(app: Any, username: str) -> Any:
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, f"sign-in of {username} failed ({response.status_code})"
    return client


def get(client: Any, url: str) -> bytes:
    response = client.get(url)
    body = response.get_data()
    response.close()
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return body


def record_sql(engine: Any, client: Any, url: str) -> list[tuple[str, Any, bool]]:
    """The statements one rendering of the page runs, with their parameters."""
    from sqlalchemy import event

    statements: list[tuple[str, Any, bool]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements.append((statement, parameters, executemany))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        get(client, url)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return statements


def run_bare(engine: Any, statements: list[tuple[str, Any, bool]]) -> float:
    """Seconds to run the statements on a bare DB-API cursor and fetch their rows (rolled back after)."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        start = clock()
        for statement, parameters, many in statements:
            if many:
                cursor.executemany(statement, parameters)
            else:
                cursor.execute(statement, parameters)
            if cursor.description is not None:
                cursor.fetchall()
        elapsed = clock() - start
        raw.rollback()
        cursor.close()
    finally:
        raw.close()
    return elapsed


def profile_page(client: Any, path: str, repeat: int) -> None:
    """Print where the page's time goes: pyinstrument (requirements-dev.txt) if installed, else cProfile."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(repeat):
            get(client, path)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        return
    sampler = Profiler(interval=0.0005)
    sampler.start()
    for _ in range(repeat):
        get(client, path)
    sampler.stop()
    print(sampler.output_text(unicode=True, show_all=False))


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = CLOCKS["wall"]


def timed(call: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = clock()
        call()
        times.append(clock() - start)
    return min(times)


def measure(url: str, repeat: int, only: str | None = None, profile: str | None = None) -> list[dict[str, Any]]:
    from app.extensions import db

    app = make_app(url)
    results = []
    with app.app_context():
        names = pick()
        engine = db.engine
        db.session.remove()
    clients: dict[str, Any] = {}
    for page, user, path in PAGES:
        if only and page != only:
            continue
        user, path = user.format(**names), path.format(**names)
        client = clients.get(user) or clients.setdefault(user, signed_in(app, user))
        body = get(client, path)
        get(client, path)
        statements = record_sql(engine, client, path)
        if profile == page:
            profile_page(client, path, repeat)
        server_s = timed(lambda client=client, path=path: get(client, path), repeat)
        run_bare(engine, statements)
        sql_s = timed(lambda statements=statements: run_bare(engine, statements), repeat)
        results.append(
            {
                "page": page,
                "user": user,
                "path": path,
                "server_ms": server_s * 1000,
                "sql_ms": sql_s * 1000,
                "queries": len(statements),
                "html_kb": len(body) / 1024,
            }
        )
    engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--db", help="SQLite file to reuse (or keep)")
    parser.add_argument("--database", help="a server database URL instead of SQLite (emptied and rebuilt)")
    parser.add_argument("--repeat", type=int, default=9, help="renderings of each page and runs of its SQL, per run")
    parser.add_argument("--runs", type=int, default=5, help="whole measurements; the median run counts")
    parser.add_argument("--page", choices=[p for p, _, _ in PAGES], help="measure this page only")
    parser.add_argument("--profile", choices=[p for p, _, _ in PAGES], help="print a profile of this page")
    parser.add_argument(
        "--clock", choices=sorted(CLOCKS), default="wall", help="cpu: this process's CPU time (SQLite runs in it)"
    )
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    workdir = tempfile.mkdtemp(prefix="bench-pages-")
    db_path = args.db or str(Path(workdir) / "bench.db")
    url = args.database or f"sqlite:///{db_path}"
    try:
        if args.database or not Path(db_path).exists():
            start = time.perf_counter()
            counts = build(url, args.cases)
            print(
                f"built {counts.get('agency_case', 0)} cases, {counts.get('case_item', 0)} items "
                f"in {time.perf_counter() - start:.1f} s"
            )
        runs = [measure(url, args.repeat, args.page or args.profile, args.profile) for _ in range(args.runs)]
    finally:
        if not args.db:
            shutil.rmtree(workdir, ignore_errors=True)
    report(runs)


def spread(values: list[float]) -> str:
    """min/median/max of the runs: the noise of a shared machine stays visible."""
    return f"{min(values):.2f}/{statistics.median(values):.2f}/{max(values):.2f}"


def report(runs: list[list[dict[str, Any]]]) -> None:
    """One line per page (the median run's figures, the ratio's min/median/max), then the worst page per run."""
    for i, first in enumerate(runs[0]):
        rows = [run[i] for run in runs]
        ratios = [r["server_ms"] / r["sql_ms"] for r in rows]
        middle = sorted(rows, key=lambda r: r["server_ms"] / r["sql_ms"])[len(rows) // 2]
        print(
            f"  {first['page']:<14} server_ms={middle['server_ms']:.1f} sql_ms={middle['sql_ms']:.1f} "
            f"ratio={statistics.median(ratios):.2f} ratio_min/median/max={spread(ratios)} "
            f"queries={first['queries']} html_kb={first['html_kb']:.1f}  ({first['user']} GET {first['path']})"
        )
    worst = [max(r["server_ms"] / r["sql_ms"] for r in run) for run in runs]
    names = [max(run, key=lambda r: r["server_ms"] / r["sql_ms"])["page"] for run in runs]
    print(
        f"pages runs={len(runs)} worst_ratio={statistics.median(worst):.2f} worst_min/median/max={spread(worst)} "
        f"worst={max(set(names), key=names.count)} queries={sum(r['queries'] for r in runs[0])} "
        f"html_kb={sum(r['html_kb'] for r in runs[0]):.1f}"
    )


if __name__ == "__main__":
    main()
