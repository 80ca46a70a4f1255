"""PDF cost: time per PDF, the child's peak memory, and what the worker keeps afterwards.

    python bench/paper.py [--runs 10]

Downloads the one-time notice of a demo case as a PDF `--runs` times, as its agent (each made in its own child
process), then
    pdf ms_median=<x> ms_max=<y> child_peak_mb=<z> worker_rss_before_mb=<a> worker_rss_after_mb=<b>
The probe saw a gunicorn worker's peak rise from 157 MB to ~870 MB printing papers in process, 144–248 MB of it
kept; the target is a worker that keeps nothing (after - before within a few MB).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    from flask_migrate import upgrade
    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from app import create_app
    from app.extensions import db
    from app.models import Case, Staff
    from app.services.demo import demo_staff, seed_demo_cases
    from app.services.roles import sync_roles
    from app.services.seeding import seed_demo, seed_reference

    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='paper-')) / 'bench.db'}"
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True, "WTF_CSRF_ENABLED": False}
    )
    with app.app_context():
        upgrade()
        sync_roles()
        seed_reference()
        hashed = generate_password_hash("Bench-Pass-2026")
        seed_demo(hashed)
        demo_staff(hashed)
        seed_demo_cases()
        agent = db.session.scalar(select(Staff).where(Staff.username == "dlt_agent"))
        case_id = db.session.scalars(select(Case.id).where(Case.region_id == agent.region_id).order_by(Case.id)).first()
    client = app.test_client()
    client.post("/login/", data={"username": "dlt_agent", "password": "Bench-Pass-2026"})
    pdf_url = f"/paper/{case_id}/notice.pdf"
    assert client.get(pdf_url).mimetype == "application/pdf"  # the first run warms the worker's own imports
    before = _rss_mb()
    times = []
    for _ in range(options.runs):
        started = time.perf_counter()
        document = client.get(pdf_url).data
        times.append((time.perf_counter() - started) * 1000)
    after = _rss_mb()
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{len(document)} bytes a PDF")
    print(
        f"pdf ms_median={statistics.median(times):.0f} ms_max={max(times):.0f} child_peak_mb={child_peak:.0f} "
        f"worker_rss_before_mb={before:.0f} worker_rss_after_mb={after:.0f}"
    )


if __name__ == "__main__":
    main()
