"""Dashboard benchmark: each landing dashboard rendered through the test client vs. the bare SQL it needs.

    python bench/dashboard.py [--items 100000] [--db PATH] [--repeat 3]

Builds a SQLite database with items/5 cases (5 items each; default 20,000 cases and 100,000 items) plus joint
reviews, decisions, escalations, evaluations, staff, training plans with attendance and monthly reports in
proportion, inserted in bulk. Then, for the supervisor (the whole city), an agent, a liaison and the admin,
it times the page (`GET /` through Flask's test client, the navbar's to-do count included) and the bare
aggregates of `app.services.dashboards` that page needs, and counts the page's SQL queries. Best of
`--repeat` runs each. The last line:
    dashboard items=<n> page_s=<s> sql_s=<s> ratio=<x> queries=<n>
(sums over the four dashboards; ratio = page_s / sql_s, target ≤ 2; the query count must be the same at
10,000 and at 100,000 items.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TODAY = dt.date(2026, 11, 27)
PASSWORD = "Bench-Pass-2026"
USERS = (("supervisor", "supervisor"), ("agent", "agent"), ("liaison", "liaison"), ("admin", "admin"))
CASE_STATES = (
    ("submitted", 3),
    ("accepted", 3),
    ("entrusted", 4),
    ("refused", 2),
    ("planned", 10),
    ("in_progress", 40),
    ("completed", 20),
    ("evaluated", 15),
    ("terminated", 3),
)
OPEN_ITEM_STATES = ("planned", "preparing", "accepted", "in_review", "in_review", "supplement", "rectification")
LEVELS = ("very_satisfied", "very_satisfied", "satisfied", "satisfied", "satisfied", "dissatisfied")


def make_app(db_path: str) -> Any:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
            "SECRET_KEY": "bench",
            "TODAY": TODAY.isoformat(),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )


# --- building the data -------------------------------------------------------------------------------------


class Rows:
    """Rows per table, inserted in bulk (Core executemany) whenever a batch is full."""

    def __init__(self, connection: Any) -> None:
        self.connection, self.tables, self.count = connection, {}, {}

    def add(self, table: Any, row: dict[str, Any]) -> None:
        batch = self.tables.setdefault(table, [])
        batch.append(row)
        self.count[table.name] = self.count.get(table.name, 0) + 1
        if len(batch) >= 20000:
            self.flush()  # every table, parents first (in the order first added): a server checks foreign keys

    def flush(self, table: Any | None = None) -> None:
        from sqlalchemy import insert

        for key in [table] if table is not None else list(self.tables):
            if self.tables.get(key):
                self.connection.execute(insert(key), self.tables[key])
                self.tables[key] = []


def build(db_path: str, n_items: int) -> dict[str, int]:
    """A migrated, seeded database with n_items/5 cases and everything the dashboards count."""
    from flask_migrate import upgrade
    from werkzeug.security import generate_password_hash

    from app.extensions import db
    from app.services.roles import sync_roles
    from app.services.seeding import seed_demo, seed_reference

    app = make_app(db_path)
    with app.app_context():
        upgrade()
        sync_roles()
        seed_reference()
        hashed = generate_password_hash(PASSWORD)
        seed_demo(hashed)
        counts = fill(n_items // 5, hashed)
        db.session.remove()
    return counts


def fill(n_cases: int, hashed: str) -> dict[str, int]:
    from flask_appbuilder.security.sqla.models import Role, assoc_user_role
    from sqlalchemy import select

    from app.extensions import db
    from app.models import (
        Case,
        CaseItem,
        CatalogItem,
        Decision,
        Department,
        Enterprise,
        Escalation,
        Evaluation,
        JointReview,
        MonthlyReport,
        Project,
        Region,
        Staff,
        TrainingAttendance,
        TrainingPlan,
        TrainingSession,
    )

    rng = random.Random(20261127)
    regions = db.session.scalars(select(Region).where(Region.level.in_(["city", "banner"])).order_by(Region.code)).all()
    catalog = {
        r.id: db.session.scalars(
            select(CatalogItem).where(CatalogItem.region_id == r.id, CatalogItem.is_other.is_(False))
        ).all()
        for r in regions
    }
    approval = {
        r.id: db.session.scalars(
            select(Department.id).where(Department.region_id == r.id, Department.is_approval.is_(True))
        ).all()
        for r in regions
    }
    roles = {r.name: r.id for r in db.session.scalars(select(Role))}
    staff = {s.username: s for s in db.session.scalars(select(Staff))}
    conn = db.session.connection()
    rows = Rows(conn)
    now = dt.datetime(2026, 11, 27, 9, 0)

    # Staff in proportion: per region 1 agent per 400 cases of it (at least one), and a liaison for most
    # approval departments (a few left without one, so coverage has gaps).
    next_user = max(s.id for s in staff.values()) + 1
    agents: dict[int, list[int]] = {}
    region_staff: dict[int, list[int]] = {}
    per_region = max(1, n_cases // len(regions))
    for region in regions:
        agents[region.id] = [s.id for s in staff.values() if s.region_id == region.id and "agent" in s.username]
        region_staff[region.id] = [s.id for s in staff.values() if s.region_id == region.id]
        wanted = [("Agent", None)] * max(1, per_region // 400) + [("Liaison", d) for d in approval[region.id][:-2]]
        for role, department in wanted:
            rows.add(
                Staff.__table__,
                {
                    "id": next_user,
                    "first_name": f"员工{next_user}",
                    "last_name": "",
                    "username": f"bench{next_user}",
                    "password": hashed,
                    "active": True,
                    "email": f"bench{next_user}@bench.invalid",
                    "region_id": region.id,
                    "department_id": department,
                    "created_on": now,
                    "changed_on": now,
                    "login_count": 0,
                    "fail_login_count": 0,
                },
            )
            rows.add(assoc_user_role, {"user_id": next_user, "role_id": roles[role]})
            region_staff[region.id].append(next_user)
            if role == "Agent":
                agents[region.id].append(next_user)
            next_user += 1
    rows.flush()

    states = [s for s, weight in CASE_STATES for _ in range(weight)]
    span = (TODAY - dt.date(2024, 1, 1)).days
    review_id = decision_count = escalation_count = 0
    for k in range(1, n_cases + 1):
        region = regions[k % len(regions)]
        state = rng.choice(states)
        applied = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, span - 1))
        common = {"id": k, "region_id": region.id, "created_at": now}
        rows.add(
            Enterprise.__table__,
            {**common, "name": f"{region.name}企业{k}", "credit_code": f"91{k:016d}", "address": "", "postcode": ""}
            | {"legal_representative": "", "phone": "", "contact_person": "", "contact_phone": ""},
        )
        rows.add(
            Project.__table__,
            {**common, "enterprise_id": k, "name": f"{region.name}项目{k}", "code": None, "address": ""}
            | {"fund_source": "", "land_nature": "", "is_key_project": k % 3 == 0, "category": "key"}
            | {"main_use_and_scale": "", "leader_in_charge": "", "progress_before": ""},
        )
        closed = state in ("completed", "evaluated", "terminated", "refused")
        closed_on = min(applied + dt.timedelta(days=rng.randint(20, 160)), TODAY) if closed else None
        rows.add(
            Case.__table__,
            {
                "id": k,
                "number": f"{region.code}-B{k:07d}",
                "region_id": region.id,
                "project_id": k,
                "channel": "window",
                "state": state,
                "agent_id": rng.choice(agents[region.id]) if state != "submitted" and agents[region.id] else None,
                "applied_on": applied,
                "accepted_on": applied + dt.timedelta(days=1),
                "planned_end": applied + dt.timedelta(days=rng.randint(60, 240))
                if state in ("planned", "in_progress")
                else None,
                "planned_end_estimated": False,
                "step_due_on": applied + dt.timedelta(days=rng.randint(2, 20))
                if state in ("submitted", "accepted", "entrusted")
                else None,
                "closed_on": closed_on,
                "other_items_text": "",
                "request_note": "",
                "close_reason": "",
                "materials_returned": closed,
                "materials_note": "",
                "archived": closed,
                "enterprise_name": f"{region.name}企业{k}",
                "credit_code": f"91{k:016d}",
                "project_name": f"{region.name}项目{k}",
                "project_category": "key",
                "is_key_project": False,
                "updated_at": now,
                "version": 1,
            },
        )
        for position, entry in enumerate(rng.sample(catalog[region.id], 5)):
            if state in ("submitted", "accepted", "entrusted"):
                istate = "planned"
            elif state in ("planned", "in_progress"):
                istate = rng.choice((*OPEN_ITEM_STATES, "approved", "approved", "rejected"))
            elif state in ("completed", "evaluated"):
                istate = "approved" if rng.random() < 0.9 else "rejected"
            else:
                istate = "withdrawn"
            accepted = (
                applied + dt.timedelta(days=rng.randint(8, 60)) if istate not in ("planned", "preparing") else None
            )
            done = istate in ("approved", "rejected")
            rows.add(
                CaseItem.__table__,
                {
                    "case_id": k,
                    "catalog_item_id": entry.id,
                    "catalog_version": 1,
                    "name": entry.name,
                    "department_id": entry.department_id,
                    "stage": entry.stage,
                    "time_limit_days": entry.time_limit_days or 20,
                    "state": istate,
                    "position": position,
                    "planned_filing_on": applied + dt.timedelta(days=rng.randint(5, 40)),
                    "accepted_on": accepted,
                    "due_on": accepted + dt.timedelta(days=28) if accepted else None,
                    "closed_on": accepted + dt.timedelta(days=rng.randint(5, 50)) if done and accepted else None,
                    "paused_since": accepted + dt.timedelta(days=5)
                    if accepted and istate in ("supplement", "rectification")
                    else None,
                    "paused_days": 0,
                    "used_days": rng.randint(2, 40) if done else None,
                    "incomplete_acceptance": False,
                    "commitment": False,
                    "allows_incomplete": False,
                    "allows_commitment": False,
                    "note": "",
                    "updated_at": now,
                    "version": 1,
                },
            )
        if state == "evaluated":
            rows.add(Evaluation.__table__, {"case_id": k, "level": rng.choice(LEVELS), "evaluated_on": closed_on})
        if k % 40 == 0:  # a joint review with two decisions for every 40 cases
            review_id += 1
            held = TODAY - dt.timedelta(days=rng.randint(1, 400))
            rows.add(
                JointReview.__table__,
                {"id": review_id, "region_id": region.id, "held_on": held, "topic": f"会商{review_id}"}
                | {"state": "minutes_issued", "kind": "joint_review", "convened_by": "service_dept", "version": 1}
                | {"chair": "", "stages": "", "minutes": "", "cancel_reason": "", "updated_at": now},
            )
            for _ in range(2):
                decision_count += 1
                rows.add(
                    Decision.__table__,
                    {
                        "review_id": review_id,
                        "text": f"议定事项{decision_count}",
                        "department_id": rng.choice(approval[region.id]),
                        "person": "",
                        "case_id": k,
                        "due_on": held + dt.timedelta(days=rng.randint(5, 60)),
                        "state": "open" if rng.random() < 0.4 else "done",
                        "close_note": "",
                        "updated_at": now,
                        "version": 1,
                    },
                )
        if k % 50 == 0 and state in ("accepted", "entrusted", "planned", "in_progress"):
            escalation_count += 1
            rows.add(
                Escalation.__table__,
                {"region_id": region.id, "case_id": k, "reason": "协调", "tried": "", "state": "waiting"}
                | {"raised_on": TODAY - dt.timedelta(days=rng.randint(1, 60)), "updated_at": now, "version": 1},
            )
    rows.flush()

    # Training in proportion: per region and year, one plan (4 sessions) per 200 cases of the region, with
    # the attendance of every member of staff of the region at each session.
    plan_id = session_id = 0
    for region in regions:
        for year in (2025, 2026):
            for _ in range(max(1, per_region // 200)):
                plan_id += 1
                rows.add(
                    TrainingPlan.__table__,
                    {"id": plan_id, "region_id": region.id, "year": year, "title": f"培训{plan_id}", "created_at": now}
                    | {"organiser": "", "audience": "", "content": "", "trainer": ""},
                )
                for n in range(4):
                    session_id += 1
                    rows.add(
                        TrainingSession.__table__,
                        {"id": session_id, "plan_id": plan_id, "held_on": dt.date(year, 3 + 2 * n, 10)}
                        | {"hours": rng.choice((1.5, 2, 3)), "topic": "业务"},
                    )
                    for person in region_staff[region.id]:
                        status = "present" if rng.random() < 0.8 else rng.choice(("absent", "excused"))
                        rows.add(
                            TrainingAttendance.__table__,
                            {"session_id": session_id, "staff_id": person, "status": status, "recorded_at": now},
                        )
    # Last month's reports: most banners on time, some late, the rest missing.
    for n, region in enumerate(r for r in regions if r.level == "banner"):
        if n % 4 != 3:
            day = 20 if n % 4 != 2 else 27
            rows.add(
                MonthlyReport.__table__,
                {"region_id": region.id, "month": dt.date(2026, 10, 1), "version": 1, "figures": "{}"}
                | {"problems": "", "submitted_at": dt.datetime(2026, 10, day, 10, 0)},
            )
    rows.flush()
    db.session.commit()
    return rows.count


# --- measuring ----------------------------------------------------------------------------------------------


def bare_sql(board: Any, user: Any) -> Callable[[], None]:
    """The aggregates a dashboard page runs, without Flask, templates or FAB around them."""
    from app.services import dashboards as service
    from app.services.dashboards import Board

    def run() -> None:
        scope = service.scope_of(user)
        if board is Board.SUPERVISOR:
            service.cases_by_region_state(scope)
            service.monthly_flow(scope)
            service.department_load(scope)
            service.working_days(scope)
            service.satisfaction_by_region(scope)
            service.coordination(scope)
            service.training_hours(scope, TODAY.year)
            service.coverage_by_region(user)
            service.report_statuses(user)
        elif board is Board.AGENT:
            service.agent_counts(scope)
            for figure in service.AGENT_FIGURES:
                service.agent_rows(scope, figure)
        elif board is Board.LIAISON:
            service.liaison_counts(scope)
            for figure in service.LIAISON_ITEM_FIGURES:
                service.liaison_rows(scope, figure)
            service.decision_rows(scope)
        else:
            service.data_health(user, scope)
        service.todo(scope, board)

    return run


def best_of(repeat: int, call: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(db_path: str, repeat: int) -> tuple[int, list[dict[str, Any]]]:
    """(items in the database, per dashboard: page seconds, SQL seconds, the page's query count)."""
    from sqlalchemy import event, func, select

    from app.extensions import db
    from app.models import CaseItem, Staff
    from app.services import dashboards as service

    app = make_app(db_path)
    results = []
    with app.app_context():
        items = db.session.scalar(select(func.count(CaseItem.id))) or 0
        client = app.test_client()
        for username, label in USERS:
            client.post("/logout/")
            assert client.post("/login/", data={"username": username, "password": PASSWORD}).status_code == 302
            response = client.get("/")  # warm: translations, templates, the login's caches
            assert response.status_code == 200 and f'data-board="{label}"' in response.get_data(as_text=True), label
            statements: list[str] = []

            def record(*args: Any, statements: list[str] = statements) -> None:
                statements.append(args[2])

            event.listen(db.engine, "before_cursor_execute", record)
            assert client.get("/").status_code == 200
            event.remove(db.engine, "before_cursor_execute", record)
            page_s = best_of(repeat, lambda: client.get("/").close())
            user = db.session.scalar(select(Staff).where(Staff.username == username))
            sql = bare_sql(service.board_for(user), user)
            sql()
            sql_s = best_of(repeat, sql)
            db.session.rollback()
            results.append({"board": label, "page_s": page_s, "sql_s": sql_s, "queries": len(statements)})
    return items, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000, help="case items (cases = items / 5)")
    parser.add_argument("--db", help="reuse (or keep) this database file")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each page and its SQL; the best counts")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="bench-dashboard-")
    db_path = args.db or str(Path(workdir) / "bench.db")
    try:
        if not Path(db_path).exists():
            start = time.perf_counter()
            counts = build(db_path, args.items)
            print(
                f"built {counts.get('agency_case', 0)} cases, {counts.get('case_item', 0)} items, "
                f"{counts.get('joint_review', 0)} meetings, {counts.get('review_decision', 0)} decisions, "
                f"{counts.get('training_attendance', 0)} attendance records in {time.perf_counter() - start:.1f} s"
            )
        items, results = measure(db_path, args.repeat)
    finally:
        if not args.db:
            shutil.rmtree(workdir, ignore_errors=True)
    for r in results:
        print(
            f"  {r['board']:<10} page_s={r['page_s']:.3f} sql_s={r['sql_s']:.3f} "
            f"ratio={r['page_s'] / r['sql_s']:.2f} queries={r['queries']}"
        )
    page_s, sql_s = sum(r["page_s"] for r in results), sum(r["sql_s"] for r in results)
    queries = sum(r["queries"] for r in results)
    print(f"dashboard items={items} page_s={page_s:.3f} sql_s={sql_s:.3f} ratio={page_s / sql_s:.2f} queries={queries}")


if __name__ == "__main__":
    main()
