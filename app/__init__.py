"""帮您办 back-office: the application factory and its registrations."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from flask_appbuilder import AppBuilder
from flask_wtf.csrf import CSRFProtect

import config
from app import cli, i18n, static_assets, tasks
from app.extensions import db, migrate


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: config, database, FAB with our security manager, views, public pages, CLI."""
    app = Flask(__name__, instance_path=str(config.INSTANCE_DIR))
    app.config.from_object(config)
    app.config.setdefault("SEEDS_DIR", str(config.BASE_DIR / "seeds"))
    app.config.setdefault("DEMO_PASSWORD", os.environ.get("DEMO_PASSWORD"))
    app.config.update(overrides or {})
    if str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith(("mysql", "mariadb")):
        # MariaDB's default REPEATABLE READ keeps a session on the snapshot of its first read: a worker (or any
        # long-lived session) would not see rows other servers committed since. Read what is committed, as on
        # PostgreSQL.
        options = {**app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}), "isolation_level": "READ COMMITTED"}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _install_secret(Path(app.instance_path) / "secret_key")

    from app import (
        api,
        models,  # noqa: F401  (registers every table on the metadata)
    )
    from app.api.auth import TokenApi
    from app.security import headers, permission_cache, sessions, signin
    from app.security.manager import StaffSecurityManager, password_policy
    from app.views import guard_actions, register_context, register_public, register_views
    from app.views.errors import register_error_pages
    from app.views.exports import job_ledger_scope
    from app.views.home import HomeView
    from app.views.org import SECURITY_VIEWS

    app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", password_policy)
    signin.configure_rate_limits(app)  # before FAB creates its limiter: Redis when REDIS_URL is set
    CSRFProtect(app)  # every POST, FAB's and ours, carries a token
    db.init_app(app)
    migrate.init_app(app, db, directory=str(config.BASE_DIR / "migrations"), render_as_batch=True)
    with app.app_context():
        # The views and the API's token door are handed to the security manager here (it imports neither).
        manager = StaffSecurityManager.with_views(security_api=TokenApi, **SECURITY_VIEWS)
        appbuilder = AppBuilder(security_manager_class=manager, indexview=HomeView)
        appbuilder.init_app(app, db.session)
        register_views(appbuilder)
        api.register(appbuilder)  # the data API, beside the views
    sessions.init_sessions(app)  # server-side sessions that end (database, or Redis when REDIS_URL is set)
    static_assets.init_app(app)  # versioned, cached, compressed static files (its hook runs after the next)
    headers.init_headers(app)  # security headers and no-store on every response
    app.json.ensure_ascii = False  # Chinese stays readable in JSON
    i18n.install_template_gettext(app)  # templates translate without per-message context lookups
    register_public(app)
    register_context(app)
    permission_cache.init_menu_cache(app)  # the navbar menu rendered once per set of visible menus
    guard_actions(app)
    register_error_pages(app)
    cli.init_app(app)
    tasks.init_app(app, job_ledger_scope)  # background jobs on Huey: inline under TESTING, a worker otherwise
    if hops := app.config.get("TRUSTED_PROXIES"):  # behind nginx: the client's address and scheme, not the proxy's
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    return app


def _install_secret(path: Path) -> str:
    """A secret key generated once per install and kept in the instance folder (never in the repo)."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    key = secrets.token_hex(32)
    path.write_text(key, encoding="utf-8")
    path.chmod(0o600)
    return key


tasks.use_factory(create_app)  # a worker process builds its app with this factory
