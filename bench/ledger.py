"""Ledger export benchmark: ours vs. the naive pandas+openpyxl baseline vs. the raw XlsxWriter floor.

    python bench/ledger.py [--cases 20000] [--runs 5] [--skip-pandas] [--db PATH]

Builds a SQLite database of N realistic cases (≈5 items each), then runs each contender in its own
process (so each peak memory is its own), `--runs` rounds, and prints each round and one closing line:
    ledger runs=5 rows=… ours_s=… pandas_s=… floor_s=… vs_pandas=<median> vs_pandas_min/median/max=…
           vs_floor=<median> vs_floor_min/median/max=… peak_mb=…
vs_pandas = pandas_s / ours_s (target ≥ 2); vs_floor = (ours_s − query_s) / floor_s (target ≤ 1.3);
each the median of the rounds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COMPANY_WORDS = ["绿能", "煤化", "氢途", "云谷", "蒙西", "风光", "绒纺", "蒙速", "农牧", "草原", "黄河", "沙漠"]
PROJECT_WORDS = [
    "光伏治沙发电",
    "煤制烯烃升级改造",
    "绿氢制备储运",
    "大数据中心",
    "现代物流园区",
    "风光储一体化",
    "羊绒智能工厂",
    "换电站",
    "农牧产业园",
    "陶瓷新材料",
    "装备制造基地",
    "污水处理厂",
]


def make_app(db_path: str):
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "SECRET_KEY": "bench", "TODAY": "2026-11-27"})


def build(db_path: str, n_cases: int) -> int:
    """A migrated, seeded database with n_cases cases and ≈5 items each; returns the item count."""
    from flask_migrate import upgrade

    from app.services.roles import sync_roles

    app = make_app(db_path)
    with app.app_context():
        upgrade()
        sync_roles()
        return fill_cases(n_cases)


def fill_cases(n_cases: int) -> int:
    """Seed the reference data and insert n_cases realistic cases (≈5 items each) in bulk; returns items."""
    from sqlalchemy import func, insert, select

    from app.extensions import db
    from app.models import Case, CaseItem, CatalogItem, Enterprise, Project, Region
    from app.services.seeding import seed_reference

    rng = random.Random(20261127)
    seed_reference()
    regions = db.session.scalars(select(Region).where(Region.level.in_(["city", "banner"]))).all()
    catalog = {
        r.id: db.session.scalars(
            select(CatalogItem).where(CatalogItem.region_id == r.id, CatalogItem.is_other.is_(False))
        ).all()
        for r in regions
    }
    conn = db.session.connection()
    enterprises, projects, cases, items = [], [], [], []
    states = [
        "submitted",
        "accepted",
        "entrusted",
        "planned",
        "in_progress",
        "in_progress",
        "in_progress",
        "completed",
        "evaluated",
        "terminated",
    ]
    item_states = ["planned", "accepted", "in_review", "supplement", "approved", "approved"]
    for k in range(n_cases):
        region = regions[k % len(regions)]
        enterprises.append(
            {
                "id": k + 1,
                "region_id": region.id,
                "name": f"鄂尔多斯{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_WORDS)}有限公司{k}",
                "credit_code": f"91{region.code}{k:010d}"[:18],
                "address": f"{region.name}某镇",
                "postcode": "017000",
                "legal_representative": "王建国",
                "phone": "0477-1234567",
                "contact_person": "李敏",
                "contact_phone": "13904770000",
                "created_at": dt.datetime.now(),
            }
        )
        projects.append(
            {
                "id": k + 1,
                "region_id": region.id,
                "enterprise_id": k + 1,
                "name": f"{region.name}{rng.choice(PROJECT_WORDS)}项目{k}",
                "address": f"{region.name}境内",
                "code": f"2026-{region.code}-44-01-{k % 1000000:06d}",
                "total_investment": rng.randint(1000, 500000),
                "planned_investment": rng.randint(100, 1000),
                "fund_source": "企业自筹",
                "land_nature": "工业用地",
                "is_key_project": k % 3 == 0,
                "category": "key",
                "main_use_and_scale": "",
                "leader_in_charge": "",
                "progress_before": "",
                "created_at": dt.datetime.now(),
            }
        )
        applied = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 1050))
        state = rng.choice(states)
        cases.append(
            {
                "id": k + 1,
                "number": f"{region.code}-{applied.year}-{k:06d}",
                "region_id": region.id,
                "project_id": k + 1,
                "channel": "window",
                "state": state,
                "applied_on": applied,
                "accepted_on": applied + dt.timedelta(days=1),
                "planned_end": applied + dt.timedelta(days=90),
                "closed_on": applied + dt.timedelta(days=80)
                if state in ("completed", "evaluated", "terminated")
                else None,
                "other_items_text": "",
                "request_note": "",
                "close_reason": "",
                "materials_returned": False,
                "materials_note": "",
                "archived": False,
                "updated_at": dt.datetime.now(),
                "version": 1,
            }
        )
        for position, entry in enumerate(rng.sample(catalog[region.id], 5)):
            accepted = applied + dt.timedelta(days=rng.randint(5, 40))
            istate = rng.choice(item_states)
            items.append(
                {
                    "case_id": k + 1,
                    "catalog_item_id": entry.id,
                    "catalog_version": 1,
                    "name": entry.name,
                    "department_id": entry.department_id,
                    "stage": entry.stage,
                    "time_limit_days": 20,
                    "state": istate,
                    "position": position,
                    "planned_filing_on": applied + dt.timedelta(days=5),
                    "accepted_on": accepted,
                    "due_on": accepted + dt.timedelta(days=28),
                    "closed_on": accepted + dt.timedelta(days=20) if istate == "approved" else None,
                    "paused_days": 0,
                    "incomplete_acceptance": False,
                    "commitment": False,
                    "note": "",
                    "updated_at": dt.datetime.now(),
                    "version": 1,
                }
            )
        if len(items) >= 50000:
            _flush(conn, insert, Enterprise, Project, Case, CaseItem, enterprises, projects, cases, items)
    _flush(conn, insert, Enterprise, Project, Case, CaseItem, enterprises, projects, cases, items)
    db.session.commit()

    return db.session.scalar(select(func.count(CaseItem.id)))


def _flush(conn, insert, Enterprise, Project, Case, CaseItem, enterprises, projects, cases, items):
    for model, rows in ((Enterprise, enterprises), (Project, projects), (Case, cases), (CaseItem, items)):
        if rows:
            conn.execute(insert(model), rows)
            rows.clear()


def scope():
    from app.services.ledger import LedgerScope, region_scope_for

    region, ids = region_scope_for("150600")
    return LedgerScope(ids, region.name)


def run_ours(db_path: str, out: str) -> dict:
    from flask_babel import force_locale

    from app.extensions import db
    from app.services.ledger import _joined_rows, _stream, write_ledger

    app = make_app(db_path)
    with app.app_context(), force_locale("zh"):
        start = time.perf_counter()
        n = sum(1 for _ in _stream(_joined_rows(scope())))
        query_s = time.perf_counter() - start
        db.session.rollback()
        start = time.perf_counter()
        stats = write_ledger(out, scope())
        return {"seconds": time.perf_counter() - start, "query_s": query_s, "rows": stats.items, "joined": n}


def run_floor(db_path: str, out: str) -> dict:
    import io

    import xlsxwriter
    from flask_babel import force_locale

    from app.services.ledger import write_ledger

    app = make_app(db_path)
    with app.app_context(), force_locale("zh"):
        rows: dict = {}
        write_ledger(io.BytesIO(), scope(), capture=rows)  # the same rows, fetched and computed beforehand
        start = time.perf_counter()
        workbook = xlsxwriter.Workbook(out, {"constant_memory": True})
        for name, data in rows.items():
            sheet = workbook.add_worksheet(name)
            for r, values in enumerate(data):
                sheet.write_row(r, 0, values)
        workbook.close()
        return {"seconds": time.perf_counter() - start, "rows": len(rows.get("items", []))}


def run_pandas(db_path: str, out: str) -> dict:
    """What a team would write first: read_sql the rows, to_excel them with openpyxl, one sheet each."""
    import pandas as pd
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{db_path}")
    cases_sql = text(
        "SELECT c.number, r.name AS region, c.channel, c.applied_on, c.state, p.name AS project, p.code, "
        "e.name AS enterprise, e.credit_code, p.total_investment, p.planned_investment, p.category, "
        "p.is_key_project, c.accepted_on, c.entrusted_on, c.planned_end, c.closed_on, c.close_reason "
        "FROM agency_case c JOIN region r ON r.id = c.region_id JOIN project p ON p.id = c.project_id "
        "JOIN enterprise e ON e.id = p.enterprise_id ORDER BY r.code, c.number"
    )
    sql = text(
        "SELECT c.number, r.name AS region, p.name AS project, e.name AS enterprise, i.name AS item, "
        "d.name AS department, i.stage, i.state, i.planned_filing_on, i.accepted_on, i.due_on, i.closed_on, "
        "i.time_limit_days, i.paused_days FROM case_item i JOIN agency_case c ON c.id = i.case_id "
        "JOIN region r ON r.id = c.region_id JOIN project p ON p.id = c.project_id "
        "JOIN enterprise e ON e.id = p.enterprise_id JOIN department d ON d.id = i.department_id "
        "ORDER BY r.code, c.number"
    )
    start = time.perf_counter()
    dates = ["planned_filing_on", "accepted_on", "due_on", "closed_on"]
    with engine.connect() as conn:
        frame = pd.read_sql(sql, conn, parse_dates=dates)
        cases = pd.read_sql(cases_sql, conn, parse_dates=["applied_on", "accepted_on", "planned_end", "closed_on"])
    today = pd.Timestamp("2026-11-27")
    overdue = frame[frame["state"].isin(["accepted", "in_review"]) & (frame["due_on"] < today)]
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        cases.to_excel(writer, sheet_name="案件台账", index=False)
        frame.to_excel(writer, sheet_name="事项台账", index=False)
        overdue.to_excel(writer, sheet_name="超期事项", index=False)
    engine.dispose()
    return {"seconds": time.perf_counter() - start, "rows": len(frame)}


def child(kind: str, db_path: str, out: str) -> None:
    result = {"ours": run_ours, "floor": run_floor, "pandas": run_pandas}[kind](db_path, out)
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result))


def measure(kind: str, db_path: str, workdir: str) -> dict:
    out = str(Path(workdir) / f"{kind}.xlsx")
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--db", db_path, "--out", out],
        capture_output=True,
        text=True,
        check=False,
    )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        sys.exit(f"{kind} failed:\n{proc.stdout}\n{proc.stderr}")
    result = json.loads(line[7:])
    result["size_mb"] = Path(out).stat().st_size / 1e6
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--db", help="reuse or keep this database file")
    parser.add_argument("--runs", type=int, default=5, help="rounds of the three contenders; medians count")
    parser.add_argument("--skip-pandas", action="store_true", help="for very large N, where pandas needs GBs")
    parser.add_argument("--child", choices=["ours", "floor", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.db, args.out)
        return
    workdir = tempfile.mkdtemp(prefix="bench-ledger-")
    db_path = args.db or str(Path(workdir) / "bench.db")
    if not Path(db_path).exists():
        start = time.perf_counter()
        rows = build(db_path, args.cases)
        print(f"built {args.cases} cases, {rows} items in {time.perf_counter() - start:.1f} s ({db_path})")
    rounds = []
    for _ in range(args.runs):  # interleaved, so a busy minute of the machine falls on all three alike
        ours = measure("ours", db_path, workdir)
        floor = measure("floor", db_path, workdir)
        pandas = None if args.skip_pandas else measure("pandas", db_path, workdir)
        rounds.append((ours, floor, pandas))
        print(
            f"  run {len(rounds)}: ours {ours['seconds']:.2f} s (query {ours['query_s']:.2f} s, peak "
            f"{ours['peak_mb']:.0f} MB, {ours['size_mb']:.1f} MB file), floor {floor['seconds']:.2f} s, pandas "
            + (f"{pandas['seconds']:.2f} s (peak {pandas['peak_mb']:.0f} MB)" if pandas else "skipped")
        )
    vs_floor = [(o["seconds"] - o["query_s"]) / f["seconds"] for o, f, _ in rounds]
    vs_pandas = [p["seconds"] / o["seconds"] for o, _, p in rounds if p]
    ours_s = [o["seconds"] for o, _, _ in rounds]
    floor_s = [f["seconds"] for _, f, _ in rounds]
    pandas_s = f"{statistics.median(p['seconds'] for _, _, p in rounds if p):.2f}" if vs_pandas else "skipped"
    print(
        f"ledger runs={len(rounds)} rows={rounds[0][0]['rows']} ours_s={statistics.median(ours_s):.2f} "
        f"pandas_s={pandas_s} floor_s={statistics.median(floor_s):.2f} "
        f"vs_pandas={_median(vs_pandas)} vs_pandas_min/median/max={_spread(vs_pandas)} "
        f"vs_floor={_median(vs_floor)} vs_floor_min/median/max={_spread(vs_floor)} "
        f"peak_mb={max(o['peak_mb'] for o, _, _ in rounds):.0f}"
    )


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}" if values else "nan"


def _spread(values: list[float]) -> str:
    """min/median/max of the runs: the noise of a shared machine stays visible."""
    return f"{min(values):.2f}/{statistics.median(values):.2f}/{max(values):.2f}" if values else "-"


if __name__ == "__main__":
    main()
