"""Settings of the 帮您办 back-office; every deployment-specific value comes from the environment."""

import os
from pathlib import Path

from flask_appbuilder.const import AUTH_DB

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", BASE_DIR / "instance"))

# The embedded default is a SQLite file; production sets DATABASE_URL to PostgreSQL.
SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'bangninban.db'}"
SQLALCHEMY_TRACK_MODIFICATIONS = False
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

# SECRET_KEY: from the environment in production; otherwise generated once per install
# into instance/secret_key (see app.security.secret_key), never a constant in the repo.
SECRET_KEY = os.environ.get("SECRET_KEY")

APP_NAME = "蒙速办·帮您办"
APP_ICON = ""
FAB_BASE_TEMPLATE = "base.html"

AUTH_TYPE = AUTH_DB
AUTH_ROLE_ADMIN = "Admin"
AUTH_ROLE_PUBLIC = "Public"
AUTH_USER_REGISTRATION = False

# The schema belongs to Alembic migrations and permissions to `flask seed`:
# FAB must not create tables or permissions behind their back.
FAB_CREATE_DB = False
FAB_UPDATE_PERMS = False
FAB_ADD_SECURITY_API = False
FAB_API_SWAGGER_UI = False
# FAB's raw permission screens (基本权限, 视图/菜单, 视图/菜单权限) mean nothing here: roles are a table
# in code (app/domain/roles.py) synced by `flask seed`; the role list still shows what each role holds.
FAB_ADD_SECURITY_PERMISSION_VIEW = False
FAB_ADD_SECURITY_VIEW_MENU_VIEW = False
FAB_ADD_SECURITY_PERMISSION_VIEWS_VIEW = False

# Chinese first, English complete.
BABEL_DEFAULT_LOCALE = "zh"
BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
LANGUAGES = {
    "zh": {"flag": "cn", "name": "中文"},
    "en": {"flag": "gb", "name": "English"},
}

WTF_CSRF_ENABLED = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"

# Uploads: the whole request is capped; catalog and calendar files are capped lower.
MAX_CONTENT_LENGTH = 16 * 1024 * 1024
UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", 2 * 1024 * 1024))

# From this month on, admins are warned when next year's holiday schedule is missing.
CALENDAR_WARN_FROM_MONTH = 10

# Traffic lights: yellow when this many statutory working days or fewer are left.
TRAFFIC_YELLOW_DAYS = int(os.environ.get("TRAFFIC_YELLOW_DAYS", 2))

# Ledger exports with more item rows than this run in the background (progress page, download link).
LEDGER_BACKGROUND_ROWS = int(os.environ.get("LEDGER_BACKGROUND_ROWS", 20000))
# Rows per sheet before a ledger sheet continues on the next one (Excel's limit; tests set it small).
LEDGER_MAX_ROWS = int(os.environ.get("LEDGER_MAX_ROWS", 1_048_576))

# FAB's generic file-download route serves from here; nothing of ours stores files in it.
UPLOAD_FOLDER = str(INSTANCE_DIR / "uploads")

# Passwords: at least 10 characters with letters and digits (app.domain.passwords); after 5 failed
# sign-ins an account is locked for 15 minutes; sign-in attempts per address are rate limited.
FAB_PASSWORD_COMPLEXITY_ENABLED = True  # the validator itself is set by create_app
AUTH_RATE_LIMITED = True
RATELIMIT_ENABLED = True
AUTH_RATE_LIMIT = "20 per minute"
RATELIMIT_STORAGE_URI = "memory://"
