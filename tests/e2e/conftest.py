"""Browser tests: the app served on 127.0.0.1 by a real WSGI server, driven by Debian's Chromium.

Each journey gets a fresh copy of a database seeded once with the demo data, CSRF on as in production; screenshots of
key pages land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "Browser-Pass-2026"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # When Chromium leaves a page while a stylesheet or script is still downloading, the development
    # server drops the connection and the served file is closed by the garbage collector, not by the
    # server: a ResourceWarning from the server's thread, not from the app. Only that one is ignored.
    for item in items:
        if "e2e" in item.nodeid:
            item.add_marker(pytest.mark.filterwarnings("ignore:unclosed file <_io.BufferedReader name='[^']*/static/"))


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database migrated and seeded once; every journey starts from a copy of it."""
    from flask_migrate import upgrade
    from werkzeug.security import generate_password_hash

    from app import create_app
    from app.extensions import db
    from app.services.demo import demo_staff, seed_demo_cases
    from app.services.roles import sync_roles
    from app.services.seeding import seed_demo, seed_reference

    path = tmp_path_factory.mktemp("e2e-seed") / "demo.db"
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "e2e-secret", "TODAY": "2026-11-27"}
    )
    with app.app_context():
        upgrade()
        sync_roles()
        seed_reference()
        hashed = generate_password_hash(PASSWORD)
        seed_demo(hashed)
        demo_staff(hashed)
        seed_demo_cases()
        db.session.remove()
        db.engine.dispose()
    return path


@pytest.fixture
def server(demo_database: Path) -> Iterator[str]:
    """A fresh copy of the seeded demo app on a free port; yields its base URL."""
    from app import create_app
    from app.extensions import db

    folder = Path(tempfile.mkdtemp(prefix="e2e-"))
    shutil.copyfile(demo_database, folder / "e2e.db")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'e2e.db'}",
            "SECRET_KEY": "e2e-secret",
            "TODAY": "2026-11-27",
            "EXPORT_DIR": str(folder / "exports"),
            "RATELIMIT_ENABLED": False,
        }
    )
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    worker = threading.Thread(target=httpd.serve_forever, daemon=True)
    worker.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    worker.join(5)
    with app.app_context():
        db.engine.dispose()
    shutil.rmtree(folder, ignore_errors=True)


class StepForm:
    """The one small form a step button opens (a Bootstrap modal), already showing that step."""

    def __init__(self, page: object) -> None:
        self.page = page
        self.modal = page.locator("#step-modal")

    def fill_note(self, text: str) -> StepForm:
        self.modal.locator("[name=note]").fill(text)
        return self

    def submit(self) -> None:
        self.modal.locator("button.step-submit").click()


class Journey:
    """A person at the browser: sign in, go somewhere, click, fill, and keep a screenshot of the key pages.

    Checks use Playwright's waiting assertions (`expect`) only: they retry while a page is still loading.
    """

    def __init__(self, page: object, base: str, name: str) -> None:
        self.page, self.base, self.name, self.shots = page, base, name, 0

    @property
    def body(self) -> object:
        return self.page.locator("body")

    def login(self, username: str) -> Journey:
        from playwright.sync_api import expect

        self.logout()
        self.page.goto(f"{self.base}/login/", wait_until="networkidle")
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        self.page.click("input[type=submit], button[type=submit]")
        expect(self.page).not_to_have_url(re.compile(r"/login/?(\?.*)?$"))
        return self

    def logout(self) -> Journey:
        """Sign out as a person does: /logout/ asks, its button sends the POST (with the form token)."""
        from playwright.sync_api import expect

        self.page.goto(f"{self.base}/logout/", wait_until="networkidle")
        if "/logout" in self.page.url:  # signed in: the page asks (signed out already: it sends to sign-in)
            self.page.click("#logout-page-form button[type=submit]")
            expect(self.page).not_to_have_url(re.compile(r"/logout/?$"))
        return self

    def go(self, path: str) -> Journey:
        self.page.goto(self.base + path)
        return self

    def step(self, scope: object, action: str) -> StepForm:
        """Click a compact step button inside `scope` (a row, the case's action bar) and wait for its form."""
        from playwright.sync_api import expect

        scope.locator(f"button.step-btn[data-action={action}]").first.click()
        form = StepForm(self.page)
        expect(form.modal).to_be_visible()
        expect(form.modal.locator("button.step-submit")).to_have_attribute("data-action", action)
        return form

    def shot(self, label: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        self.page.screenshot(path=str(SHOTS / f"{self.name}-{self.shots:02d}-{label}.png"), full_page=True)


@pytest.fixture
def journey(browser: object, server: str, request: pytest.FixtureRequest) -> Iterator[Journey]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", accept_downloads=True)
    # Chromium asks for /favicon.ico after each page; the app answers a 404 page that writes the session
    # cookie. Arriving after the next page's response, that stale cookie dropped the sign-in form's CSRF
    # token ("表单已过期") or a flash message on a busy machine. Tests answer the icon themselves.
    context.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    page = context.new_page()
    yield Journey(page, server, request.node.name.removeprefix("test_")[:40])
    context.close()
