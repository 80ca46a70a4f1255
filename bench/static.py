"""What the supervisor's dashboard costs on the wire: every script and stylesheet it links, as sent.

    python bench/static.py

Signs in as the demo supervisor, reads the dashboard's <script src> and <link href> URLs and fetches each the
way a browser does (Accept-Encoding: gzip, deflate, br), then once more with its ETag; prints per asset the raw
and sent bytes and the header it carries, then
    static raw_kb=<x> sent_kb=<y> ratio=<sent/raw> revisit_kb=<bytes sent again on a second visit>
Before #17 the chart library alone went out at 1,096 KB uncompressed with a one-day max-age and no version.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from flask_migrate import upgrade
    from werkzeug.security import generate_password_hash

    from app import create_app
    from app.services.demo import demo_staff
    from app.services.roles import sync_roles
    from app.services.seeding import seed_demo, seed_reference

    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='static-')) / 'bench.db'}"
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
    client = app.test_client()
    client.post("/login/", data={"username": "supervisor", "password": "Bench-Pass-2026"})
    page = client.get("/dashboard/").get_data(as_text=True)
    assets = sorted(set(re.findall(r'(?:src|href)="(/static/[^"]+\.(?:js|css)[^"]*)"', page)))
    raw_total = sent_total = revisit = 0
    for asset in assets:
        first = client.get(asset, headers={"Accept-Encoding": "gzip, deflate, br"})
        raw = len(client.get(asset).data)
        sent = len(first.data)
        again = client.get(asset, headers={"Accept-Encoding": "br", "If-None-Match": first.headers.get("ETag", "")})
        revisit += len(again.data)
        raw_total, sent_total = raw_total + raw, sent_total + sent
        print(
            f"{asset.split('?')[0]:60} raw={raw / 1024:8.1f} KB sent={sent / 1024:7.1f} KB "
            f"{first.headers.get('Content-Encoding', '-'):5} {first.headers['Cache-Control']}"
        )
    print(
        f"static raw_kb={raw_total / 1024:.0f} sent_kb={sent_total / 1024:.0f} "
        f"ratio={sent_total / max(raw_total, 1):.2f} revisit_kb={revisit / 1024:.0f}"
    )


if __name__ == "__main__":
    main()
