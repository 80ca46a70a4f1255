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
# FAB's menu API serves its React front end, which this app does not use: not registered (it answered an
# undocumented 403).
FAB_ADD_MENU_API = False
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
# Printed papers' PDFs are made in a child process that exits after each one (its memory goes back to the
# system, not into the worker); these cap its address space and its time.
PDF_MEMORY_MB = int(os.environ.get("PDF_MEMORY_MB", 2048))
PDF_TIMEOUT_SECONDS = float(os.environ.get("PDF_TIMEOUT_SECONDS", 60))

# --- Uploaded .xlsx files (#11: no upload can sink the server) ---
# Checked as a zip before openpyxl opens them (app/domain/xlsx_guard.py): sizes are of the unpacked parts, as
# declared and as actually unpacked (a header that lies is refused); formulas and external links are refused.
UPLOAD_XLSX_MAX_MEMBERS = int(os.environ.get("UPLOAD_XLSX_MAX_MEMBERS", 500))
UPLOAD_XLSX_MAX_MEMBER_BYTES = int(os.environ.get("UPLOAD_XLSX_MAX_MEMBER_BYTES", 16 * 1024 * 1024))
UPLOAD_XLSX_MAX_TOTAL_BYTES = int(os.environ.get("UPLOAD_XLSX_MAX_TOTAL_BYTES", 32 * 1024 * 1024))
# openpyxl holds the shared strings in memory whole: they get a lower cap.
UPLOAD_XLSX_MAX_SHARED_STRINGS_BYTES = int(os.environ.get("UPLOAD_XLSX_MAX_SHARED_STRINGS_BYTES", 8 * 1024 * 1024))
UPLOAD_XLSX_MAX_RATIO = int(os.environ.get("UPLOAD_XLSX_MAX_RATIO", 100))  # unpacked : packed, parts over 1 MB
UPLOAD_XLSX_MAX_ROWS = int(os.environ.get("UPLOAD_XLSX_MAX_ROWS", 5000))  # rows up to the last value (CSV too)
UPLOAD_XLSX_MAX_CELLS = int(os.environ.get("UPLOAD_XLSX_MAX_CELLS", 500_000))  # cell elements, empty ones too
# Elements of the XML parts besides sheets (styles, workbook, properties, …), all together: openpyxl loads
# those parts whole and makes an object of each element.
UPLOAD_XLSX_MAX_ELEMENTS = int(os.environ.get("UPLOAD_XLSX_MAX_ELEMENTS", 100_000))

# From this month on, admins are warned when next year's holiday schedule is missing.
CALENDAR_WARN_FROM_MONTH = 10

# Traffic lights: yellow when this many statutory working days or fewer are left.
TRAFFIC_YELLOW_DAYS = int(os.environ.get("TRAFFIC_YELLOW_DAYS", 2))

# Ledger exports with more item rows than this run in the background (progress page, download link).
LEDGER_BACKGROUND_ROWS = int(os.environ.get("LEDGER_BACKGROUND_ROWS", 20000))
# Rows per sheet before a ledger sheet continues on the next one (Excel's limit; tests set it small).
LEDGER_MAX_ROWS = int(os.environ.get("LEDGER_MAX_ROWS", 1_048_576))
# Lists count their rows up to this many and say “10,000+” past it (a full count grows with the table).
LIST_COUNT_CAP = int(os.environ.get("LIST_COUNT_CAP", 10_000))

# FAB's generic file-download route serves from here; nothing of ours stores files in it.
UPLOAD_FOLDER = str(INSTANCE_DIR / "uploads")

# Passwords: at least 10 characters with letters and digits (app.domain.passwords); after 5 failed
# sign-ins an account is locked for 15 minutes; sign-in attempts per address are rate limited.
FAB_PASSWORD_COMPLEXITY_ENABLED = True  # the validator itself is set by create_app
AUTH_RATE_LIMITED = True
RATELIMIT_ENABLED = True
AUTH_RATE_LIMIT = "20 per minute"
# Counts shared by every worker and server: Redis when REDIS_URL is set (app.security.signin); without it
# `memory://`, right only for the embedded single-process default (`make run`).
RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI")
RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "bangninban")

# --- Public channels (#12): online application and progress lookup, no login ---
# Counted per client address in the same storage as the sign-in limits; "N per minute/hour/day", ";"-separated.
# Every POST of the application form counts (corrections included), so allow a few rounds per application.
PUBLIC_APPLY_RATE_LIMIT = os.environ.get("PUBLIC_APPLY_RATE_LIMIT", "20 per hour;50 per day")
PUBLIC_PROGRESS_RATE_LIMIT = os.environ.get("PUBLIC_PROGRESS_RATE_LIMIT", "30 per hour")
# Drawing the two forms, per client address (each draws a signed check question; no session is stored).
PUBLIC_PAGE_RATE_LIMIT = os.environ.get("PUBLIC_PAGE_RATE_LIMIT", "60 per minute;600 per hour")
# Failed lookups of one case number from any address: once spent, that number may be tried only at the slower
# backoff pace (guessing a phone from many addresses crawls; the applicant is slowed, never shut out).
PUBLIC_PROGRESS_NUMBER_RATE_LIMIT = os.environ.get("PUBLIC_PROGRESS_NUMBER_RATE_LIMIT", "10 per hour")
PUBLIC_PROGRESS_NUMBER_BACKOFF = os.environ.get("PUBLIC_PROGRESS_NUMBER_BACKOFF", "1 per 2 minutes")
# Every progress lookup takes at least this long, found or not: its timing must not tell which numbers exist.
PUBLIC_PROGRESS_MIN_MS = int(os.environ.get("PUBLIC_PROGRESS_MIN_MS", 25))
# The data API's bodies: larger or deeper JSON is refused before it is parsed (a 2 KB "[[[[…]]]]" made the
# parser recurse into a 500); token refresh and sign-out, which need no login, are limited per address.
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", 256 * 1024))
API_MAX_JSON_DEPTH = int(os.environ.get("API_MAX_JSON_DEPTH", 32))
API_TOKEN_RATE_LIMIT = os.environ.get("API_TOKEN_RATE_LIMIT", "30 per minute;300 per hour")
# The check question: a form sent sooner than this after it was drawn is a script; a question expires.
PUBLIC_CHALLENGE_MIN_SECONDS = int(os.environ.get("PUBLIC_CHALLENGE_MIN_SECONDS", 5))
PUBLIC_CHALLENGE_MAX_MINUTES = int(os.environ.get("PUBLIC_CHALLENGE_MAX_MINUTES", 120))

# --- Background jobs and shared export files (#11: jobs that survive, several app servers) ---
# Huey runs ledger exports: on Redis when REDIS_URL is set (several app servers share it), otherwise on a
# SQLite file in the instance folder (`make run`). Start the worker with `huey_consumer app.tasks.huey`.
REDIS_URL = os.environ.get("REDIS_URL") or None
HUEY_NAME = os.environ.get("HUEY_NAME", "bangninban")
HUEY_SQLITE_PATH = os.environ.get("HUEY_SQLITE_PATH", str(INSTANCE_DIR / "huey.db"))
# Where finished exports are kept: with several app servers, a directory they all mount.
EXPORT_DIR = os.environ.get("EXPORT_DIR", str(INSTANCE_DIR / "exports"))
EXPORT_TTL_DAYS = int(os.environ.get("EXPORT_TTL_DAYS", 7))
# A job is tried this many times (errors and dead workers alike) before it is marked failed.
LEDGER_JOB_MAX_TRIES = int(os.environ.get("LEDGER_JOB_MAX_TRIES", 3))
# A running job whose worker has not shown it is alive for this long is taken up again by another worker.
LEDGER_JOB_LEASE_SECONDS = int(os.environ.get("LEDGER_JOB_LEASE_SECONDS", 120))
LEDGER_JOB_RETRY_DELAY = int(os.environ.get("LEDGER_JOB_RETRY_DELAY", 30))
# Progress is saved every this many item rows; the delay (seconds per step) exists for the tests only.
LEDGER_PROGRESS_EVERY = int(os.environ.get("LEDGER_PROGRESS_EVERY", 5000))
LEDGER_PROGRESS_DELAY = float(os.environ.get("LEDGER_PROGRESS_DELAY", 0))
# Behind a proxy (nginx): how many proxies' X-Forwarded-For/-Proto to believe, so that sign-in limits and logs see
# the user's address, not the proxy's. 0 (the default) believes none: set it only when a proxy is really in front.
TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", 0))

# --- Sessions that end, security headers (#11: sessions, no side door, headers and caches) ---
# Sessions live on the server (app.security.sessions): in the database (table server_session) by default, in
# Redis when REDIS_URL is set. The cookie holds a random id only, lasts until the browser closes, and is
# worthless once the session ends: sign-out, a password change, deactivation, "sign out everywhere", or:
SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", 30))  # no request for this long
SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS", 12))  # this long after signing in, whatever happens
SESSION_KEY_PREFIX = os.environ.get("SESSION_KEY_PREFIX", "bangninban:session:")
SESSION_ID_LENGTH = 32  # random bytes in a session id
SESSION_REFRESH_EACH_REQUEST = False  # a request writes its session only when something in it changed
# Static assets may be cached by the browser this long; every page and download carries `no-store`.
STATIC_MAX_AGE_SECONDS = int(os.environ.get("STATIC_MAX_AGE_SECONDS", 86400))

# --- The data API (#12): tokens for the 蒙速办 app and staff clients (app/api, README "Data API") ---
# An access token lives this long; a refresh token as long as a session may (SESSION_MAX_HOURS). Both die at once
# when their sign-in ends: sign-out, a password change, deactivation, "sign out everywhere".
API_ACCESS_TOKEN_MINUTES = int(os.environ.get("API_ACCESS_TOKEN_MINUTES", 15))
JWT_ACCESS_TOKEN_EXPIRES = API_ACCESS_TOKEN_MINUTES * 60
JWT_REFRESH_TOKEN_EXPIRES = SESSION_MAX_HOURS * 3600
JWT_TOKEN_LOCATION = ["headers"]
