"""Fixtures in the flaskr style: `app`, `client`, `login`, run on SQLite and on every TEST_DATABASE_URLS server.

A database named in TEST_DATABASE_URLS that cannot be reached fails the run: it never skips.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import MetaData, select, text, update
from werkzeug.security import generate_password_hash

from app import create_app
from app.domain.enums import RoleName
from app.extensions import db
from app.models import Region, Staff
from app.services.roles import sync_roles
from app.services.seeding import seed_demo, seed_reference
from tests.snapshot import Snapshot

PASSWORD = "Test-Password-42"
T = TypeVar("T")
# FAB's own tables that hold the permission model: synced once per database, kept between tests.
KEEP_TABLES = {
    "alembic_version",
    "ab_permission",
    "ab_view_menu",
    "ab_permission_view",
    "ab_role",
    "ab_permission_view_role",
}


def _database_urls() -> list[str]:
    return ["sqlite", *os.environ.get("TEST_DATABASE_URLS", "").split()]


def _url_id(url: str) -> str:
    return url.split(":", 1)[0].split("+", 1)[0]


_PHASE_SECONDS: dict[str, float] = {"setup": 0.0, "call": 0.0, "teardown": 0.0}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # Summed where the reports arrive (the controller under xdist): how much of the run is fixture work.
    _PHASE_SECONDS[report.when] = _PHASE_SECONDS.get(report.when, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    total = sum(_PHASE_SECONDS.values())
    if total:
        shares = ", ".join(f"{when} {s:.1f} s ({100 * s / total:.1f} %)" for when, s in _PHASE_SECONDS.items())
        terminalreporter.write_line(f"test time by phase, all workers: {shares}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test runs on the servers too only where the engine matters: modules marked `every_engine` (SQL,
    locking, migrations, jobs, aggregates), less their tests marked `sqlite_only`. Pages, rules and files run
    once, on SQLite: the servers would add time, not coverage, to them."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_server = callspec is not None and callspec.params.get("database_url", "sqlite") != "sqlite"
        engine_bound = item.get_closest_marker("every_engine") and not item.get_closest_marker("sqlite_only")
        (dropped if on_server and not engine_bound else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _own_database(url: str) -> str:
    """Under pytest-xdist each worker has a database of its own on the server (`test` → `test_gw0`), made if new."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    parsed = make_url(url)
    name = f"{parsed.database}_{worker}"
    mysql = parsed.get_backend_name() == "mysql"
    server = create_engine(parsed.set(database=None if mysql else "postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        if mysql:
            connection.execute(text(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4"))
        elif not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session", params=_database_urls(), ids=_url_id)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    return _own_database(request.param)


@pytest.fixture(scope="session")
def password_hash() -> str:
    """The seeded logins' hash, cheap on purpose: checking the default scrypt one took 76 ms a sign-in, and the suite
    signs in some thousand times. Passwords the app sets itself (the user forms, `flask` commands) keep FAB's and
    werkzeug's default, and their tests sign in with those."""
    return generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def _drop_everything() -> None:
    """Empty the test database, whatever an earlier run left in it."""
    engine = db.engine
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.begin() as connection:
        if engine.dialect.name == "mysql":
            connection.execute(text("SET FOREIGN_KEY_CHECKS=0"))
            for table in metadata.sorted_tables:
                connection.execute(text(f"DROP TABLE IF EXISTS `{table.name}`"))
            sequences = connection.execute(
                text(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = DATABASE() AND table_type = 'SEQUENCE'"
                )
            ).scalars()
            for name in list(sequences):
                connection.execute(text(f"DROP SEQUENCE IF EXISTS `{name}`"))
            connection.execute(text("SET FOREIGN_KEY_CHECKS=1"))
        else:
            metadata.drop_all(connection)


def make_app(database_url: str, **overrides: object) -> Flask:
    import tempfile

    settings = {
        "EXPORT_DIR": tempfile.mkdtemp(prefix="ledger-exports-"),
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,  # one test client logs in hundreds of times; rate limits have their own test
        "DEMO_PASSWORD": PASSWORD,
    }
    settings.update(overrides)
    return create_app(settings)


_SHARED_APPS: dict[tuple[str, str], tuple[Flask, dict[str, object]]] = {}


def shared_app(database_url: str, **overrides: object) -> Flask:
    """An app instance besides the test's (its own `g` per request), built once per database and settings.

    Building one compiles some 270 URL rules (0.1–0.4 s a test); a shared one gets its config back as it was
    made before each use, and its session's connection back to the pool after (the `app` fixture has put the
    data back). Not for rate-limited apps, whose counters would carry over: build those with `make_app`.
    """
    key = (database_url, repr(sorted(overrides.items())))
    if key not in _SHARED_APPS:
        instance = make_app(database_url, **overrides)
        _SHARED_APPS[key] = (instance, dict(instance.config))
    instance, config = _SHARED_APPS[key]
    instance.config.clear()
    instance.config.update(config)
    return instance


def _dispose_shared_apps(database_url: str) -> None:
    for (url, _), (instance, _) in list(_SHARED_APPS.items()):
        if url == database_url:
            with instance.app_context():
                db.session.remove()
                db.engine.dispose()
            del _SHARED_APPS[(url, _)]


@pytest.fixture(scope="session")
def migrated_app(database_url: str, password_hash: str) -> Iterator[Flask]:
    """One app per database: its schema built by the Alembic migrations, roles synced, reference data and demo
    users seeded — once, kept as a snapshot that every test starts from."""
    app = make_app(database_url)
    with app.app_context():
        _drop_everything()
        upgrade()
        sync_roles()
        seed_reference()
        seed_demo(password_hash)
        db.session.commit()
        db.session.remove()
        app.extensions["test_snapshot"] = Snapshot(db.engine)
    yield app
    _dispose_shared_apps(database_url)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _reset_data() -> None:
    """Delete every row but FAB's permission model (a test of what seeding does starts from nothing)."""
    from flask_appbuilder import Model

    session = db.session
    session.execute(update(Region).values(parent_id=None))
    session.execute(update(Staff).values(created_by_fk=None, changed_by_fk=None))
    for table in reversed(Model.metadata.sorted_tables):
        if table.name not in KEEP_TABLES:
            session.execute(table.delete())
    session.commit()


@pytest.fixture
def app(migrated_app: Flask, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The app with fresh reference data and the demo users (password: PASSWORD), from the session's snapshot."""
    # A test of the whole demo is put back from the demo's own snapshot by `demo_data`: going through the seed's
    # first would refill every table the demo adds to, twice (once it has been taken; seeding it needs the seed).
    to_demo = "demo_data" in request.fixturenames and "test_demo_snapshot" in migrated_app.extensions
    with migrated_app.app_context():
        db.session.remove()
        if not to_demo:
            migrated_app.extensions["test_snapshot"].restore()
    with migrated_app.app_context():
        yield migrated_app
        db.session.remove()


@pytest.fixture
def demo_data(app: Flask, password_hash: str) -> Flask:
    """The app with the whole demo as `make run` shows it (staff, cases in every state, meetings): seeded the
    first time on each database, then put back from its own snapshot."""
    from app.services.demo import demo_staff, seed_demo_cases, seed_demo_coordination

    snapshot = app.extensions.get("test_demo_snapshot")
    if snapshot is None:
        demo_staff(password_hash)
        seed_demo_cases()
        seed_demo_coordination()
        db.session.commit()
        db.session.remove()
        app.extensions["test_demo_snapshot"] = Snapshot(db.engine)
    else:
        db.session.remove()
        snapshot.restore()
    return app


def snapshotted(app: Flask, name: str, build: Callable[[], T]) -> T:
    """Data a module's tests all start from: built through the services the first time on each database, then
    put back from a snapshot of its own (what `build` returns must outlive the session: ids, not records)."""
    key = f"test_snapshot_{name}"
    if key not in app.extensions:
        made = build()
        db.session.commit()
        db.session.remove()
        app.extensions[key] = (Snapshot(db.engine), made)
        return made
    snapshot, made = app.extensions[key]
    db.session.remove()
    snapshot.restore()
    return made


@pytest.fixture
def second_app(app: Flask, database_url: str) -> Iterator[Callable[..., Flask]]:
    """Another app on the same database with other settings (limits on, CSRF on…); its connections closed after."""
    made: list[Flask] = []

    def build(**settings: object) -> Flask:
        made.append(make_app(database_url, **settings))
        return made[-1]

    yield build
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def login(client: FlaskClient) -> Callable[[str], FlaskClient]:
    """Log the test client in as a demo user (admin, agent, dlt_liaison_water, …)."""

    def log_in(username: str, password: str = PASSWORD) -> FlaskClient:
        client.post("/logout/")  # signing out is a POST (CSRF is off in these tests)
        response = client.post("/login/", data={"username": username, "password": password})
        assert response.status_code == 302, f"login of {username} failed"
        return client

    return log_in


@pytest.fixture
def staff(app: Flask) -> Callable[[str], Staff]:
    """A demo user as the services' actor."""

    def find(username: str) -> Staff:
        user = db.session.scalar(select(Staff).where(Staff.username == username))
        assert user is not None, username
        return user

    return find


@pytest.fixture
def region(app: Flask) -> Callable[[str], Region]:
    def find(code: str) -> Region:
        found = db.session.scalar(select(Region).where(Region.code == code))
        assert found is not None, code
        return found

    return find


@pytest.fixture
def other_banner_agent(app: Flask, password_hash: str) -> Staff:
    """An agent of 伊金霍洛旗, a banner other than the demo cases' (达拉特旗)."""
    user = Staff(
        username="yjhl_agent",
        email="yjhl_agent@test.invalid",
        first_name="其其格",
        last_name="",
        active=True,
        password=password_hash,
        roles=[app.appbuilder.sm.find_role(RoleName.AGENT.value)],
        region=db.session.scalar(select(Region).where(Region.code == "150627")),
    )
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def today_is(app: Flask) -> Iterator[Callable[[str], None]]:
    """The services' "today" fixed (2026-11-27 unless the test sets another day)."""

    def set_today(day: str) -> None:
        app.config["TODAY"] = day

    set_today("2026-11-27")
    yield set_today
    app.config.pop("TODAY", None)
