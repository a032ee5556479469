"""Settings shared by every environment. Everything a deployment changes comes from the
environment (see README, "Configuration"); nothing here needs editing to run Tend."""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

# The repository root (Tend is installed editable, so front-end packages live beside it).
BASE_DIR = Path(__file__).resolve().parents[3]
PACKAGE_DIR = BASE_DIR / "tend"

DATA_DIR = Path(os.environ.get("TEND_DATA_DIR", BASE_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """A key from the environment, or one generated once and kept in the data directory,
    so that sessions survive restarts without the user having to invent a secret."""
    if os.environ.get("TEND_SECRET_KEY"):
        return os.environ["TEND_SECRET_KEY"]
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_flag("TEND_DEBUG")
ALLOWED_HOSTS = os.environ.get("TEND_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [
    origin for origin in os.environ.get("TEND_CSRF_TRUSTED_ORIGINS", "").split(",") if origin
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "huey.contrib.djhuey",
    "ninja",  # serves the API docs page's Swagger assets locally, not from a CDN
    "tend.core",
    "tend.accounts",
    "tend.audit",
    "tend.customers",
    "tend.activities",
    "tend.recyclebin",
    "tend.leads",
    "tend.deals",
    "tend.contracts",
    "tend.orders",
    "tend.service",
    "tend.status",
    "tend.imports",
    "tend.web",
    "tend.api",
    "tend.cli",
]

MIDDLEWARE = [
    "tend.core.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tend.core.middleware.SessionIdleTimeoutMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tend.core.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tend.config.urls"
WSGI_APPLICATION = "tend.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'tend.sqlite3'}"


def database_config(url: str) -> dict:
    config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            # WAL lets the web server read while the worker writes; IMMEDIATE takes the write
            # lock at BEGIN, so concurrent writers wait (busy timeout) instead of failing.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA cache_size=-64000; PRAGMA temp_store=MEMORY;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    return config


DATABASES = {"default": database_config(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:customer_list"
LOGOUT_REDIRECT_URL = "web:login"

# Login throttling (django-axes): lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = int(os.environ.get("TEND_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
# Per user name and address: a whole office behind one address is not locked out by one
# colleague's typos.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "tend.web.views.auth.lockout_response"
AXES_VERBOSE = False

# Sessions end after this much inactivity; the expiry is refreshed at most once a minute so
# that reading pages does not write to the database on every request.
SESSION_IDLE_TIMEOUT_SECONDS = int(os.environ.get("TEND_SESSION_IDLE_MINUTES", "120")) * 60
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _env_flag("TEND_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Bodies larger than this are refused with 413 before any view reads them.
TEND_MAX_REQUEST_BYTES = int(os.environ.get("TEND_MAX_REQUEST_BYTES", str(2 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = TEND_MAX_REQUEST_BYTES
# Import files (CSV / XLSX); larger ones are refused with a message saying to split them.
TEND_IMPORT_MAX_BYTES = int(os.environ.get("TEND_IMPORT_MAX_MB", "100")) * 1024 * 1024
# Paths whose bodies carry files, with their own limit (the import page, attachment uploads).
# Contract attachments (checked by size, extension and content).
TEND_ATTACHMENT_MAX_BYTES = int(os.environ.get("TEND_ATTACHMENT_MAX_MB", "20")) * 1024 * 1024
# The largest file each upload path takes; its request may be a little larger (form fields).
TEND_UPLOAD_LIMITS = {
    "/contracts/": TEND_ATTACHMENT_MAX_BYTES,
    "/api/v1/contracts/": TEND_ATTACHMENT_MAX_BYTES,
    "/imports/": TEND_IMPORT_MAX_BYTES,
    "/api/v1/imports": TEND_IMPORT_MAX_BYTES,
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TEND_TIME_ZONE", "Asia/Shanghai")

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Front-end packages come from the npm registry (package-lock.json) into node_modules.
STATICFILES_DIRS = [("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"

# Background jobs: Huey, embedded in a SQLite file by default, Redis when TEND_QUEUE_URL says so.
QUEUE_URL = os.environ.get("TEND_QUEUE_URL", "")
# Several Tend installations can share one Redis under different queue names.
QUEUE_NAME = os.environ.get("TEND_QUEUE_NAME", "tend")
if QUEUE_URL.startswith("redis://"):
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": QUEUE_NAME,
        "url": QUEUE_URL,
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": QUEUE_NAME,
        "filename": str(DATA_DIR / "queue.sqlite3"),
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

# A cache every process of this machine shares (the lead form's rate limit counts across
# gunicorn workers); Redis when several machines serve Tend.
CACHE_URL = os.environ.get("TEND_CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    )
}

RECYCLE_BIN_RETENTION_DAYS = int(os.environ.get("TEND_RECYCLE_BIN_DAYS", "30"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("TEND_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "huey": {"level": "INFO"}},
}

TEND_BRAND = _("Tend")
