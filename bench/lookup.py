"""Progress lookup timing: does the answer's time tell whether a case number exists?

    python bench/lookup.py [--database URL] [--runs 400]

Times `app.services.channels.progress` on a demo database for a known number with its registered phone, a known
number with a wrong phone and an unknown number; prints each one's median in ms, then
    lookup wrong_ms=<x> unknown_ms=<y> ratio=<wrong/unknown>
The probe measured 6.6 vs 4.5 ms (ratio 1.47); with one query of one shape for both and without the floor the ratio
is still ~1.5 (a known case's objects cost ~0.3 ms to build), so every lookup is held to PUBLIC_PROGRESS_MIN_MS
(25): the target is a ratio within noise of 1 (0.95–1.05). `--database` takes a server URL too.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="")
    parser.add_argument("--runs", type=int, default=400)
    options = parser.parse_args()
    from flask_migrate import upgrade
    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from app import create_app
    from app.extensions import db
    from app.models import Case
    from app.services import channels
    from app.services.demo import demo_staff, seed_demo_cases
    from app.services.roles import sync_roles
    from app.services.seeding import seed_demo, seed_reference

    url = options.database or f"sqlite:///{Path(tempfile.mkdtemp(prefix='lookup-')) / 'bench.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
    floor = app.config["PUBLIC_PROGRESS_MIN_MS"]
    print(f"PUBLIC_PROGRESS_MIN_MS={floor}")
    with app.app_context():
        upgrade()
        sync_roles()
        seed_reference()
        hashed = generate_password_hash("Bench-Pass-2026")
        seed_demo(hashed)
        demo_staff(hashed)
        seed_demo_cases()
        case = db.session.scalars(select(Case).order_by(Case.id)).first()
        phone = channels.registered_phone(case)
        probes = {
            "right": (case.number, phone),
            "wrong": (case.number, "13900000000"),
            "unknown": (case.number[:-4] + "9999", "13900000000"),
        }
        medians = {}
        for name, (number, given) in probes.items():
            times = []
            for _ in range(options.runs):
                db.session.expire_all()
                started = time.perf_counter()
                channels.progress(number, given)
                times.append((time.perf_counter() - started) * 1000)
            medians[name] = statistics.median(times)
            print(f"{name:8} median_ms={medians[name]:.3f}")
        print(
            f"lookup wrong_ms={medians['wrong']:.3f} unknown_ms={medians['unknown']:.3f} "
            f"ratio={medians['wrong'] / medians['unknown']:.2f}"
        )


if __name__ == "__main__":
    main()
