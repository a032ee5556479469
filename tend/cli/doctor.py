"""`tend doctor`: check that an installation can serve, and say how to fix what cannot."""

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

HEARTBEAT_MAX_AGE_SECONDS = 180
HTMX_STATIC_PATH = "vendor/htmx/htmx.min.js"


def one_line(error: Exception) -> str:
    return " ".join(str(error).split())


@dataclass
class CheckResult:
    name: str
    ok: bool
    detail: str = ""
    fix: str = ""


def database_description(vendor: str | None = None, config: dict | None = None) -> str:
    """Which database (the default one unless given), with any password masked."""
    vendor = vendor or connection.vendor
    config = config or settings.DATABASES["default"]
    if vendor == "sqlite":
        return f"SQLite {config['NAME']}"
    user = config.get("USER") or ""
    credentials = f"{user}:***@" if config.get("PASSWORD") else (f"{user}@" if user else "")
    host = config.get("HOST") or "localhost"
    port = f":{config['PORT']}" if config.get("PORT") else ""
    return f"{vendor}://{credentials}{host}{port}/{config.get('NAME')}"


def check_database() -> CheckResult:
    name = _("database")
    description = database_description()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return CheckResult(
            name,
            False,
            f"{description}: {one_line(exc)}",
            _("Check DATABASE_URL and that the database server is running and reachable."),
        )
    return CheckResult(name, True, description)


def unapplied_migrations() -> list[str]:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def check_migrations() -> CheckResult:
    name = _("migrations")
    try:
        pending = unapplied_migrations()
    except Exception as exc:
        return CheckResult(
            name, False, one_line(exc), _("Fix the database first, then run: tend migrate")
        )
    if pending:
        return CheckResult(
            name,
            False,
            _("%(count)d not applied (%(first)s …)") % {"count": len(pending), "first": pending[0]},
            _("Run: tend migrate"),
        )
    return CheckResult(name, True, _("all applied"))


def check_htmx_package() -> CheckResult:
    name = _("front-end packages")
    path = Path(settings.BASE_DIR) / "node_modules" / "htmx.org" / "dist" / "htmx.min.js"
    if not path.is_file():
        return CheckResult(
            name,
            False,
            _("HTMX is missing (%(path)s)") % {"path": path},
            _("Run: npm ci (make install does it)"),
        )
    return CheckResult(name, True, _("HTMX present"))


def check_static_files() -> CheckResult:
    name = _("static assets")
    root = Path(settings.STATIC_ROOT)
    fix = _("Run: tend manage collectstatic --noinput (tend serve does it when it starts)")
    if not (root / HTMX_STATIC_PATH).is_file():
        return CheckResult(name, False, _("not collected in %(path)s") % {"path": root}, fix)
    storage = settings.STORAGES["staticfiles"]["BACKEND"]
    if "Manifest" in storage and not (root / "staticfiles.json").is_file():
        return CheckResult(
            name, False, _("the manifest is missing in %(path)s") % {"path": root}, fix
        )
    return CheckResult(name, True, _("collected in %(path)s") % {"path": root})


def check_data_directory() -> CheckResult:
    name = _("data directory")
    path = Path(settings.DATA_DIR)
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".doctor-"):
            pass
    except OSError as exc:
        return CheckResult(
            name,
            False,
            f"{path}: {exc.strerror or exc}",
            _("Make the directory writable for the user running Tend, or set TEND_DATA_DIR."),
        )
    return CheckResult(name, True, _("%(path)s is writable") % {"path": path})


def queue_description(huey) -> str:
    storage = huey.storage
    kind = type(storage).__name__
    if hasattr(storage, "filename"):
        return f"{kind} {storage.filename}"
    if kind.startswith("Redis"):
        pool = storage.conn.connection_pool.connection_kwargs
        return f"{kind} {pool.get('host', '')}:{pool.get('port', '')}/{pool.get('db', 0)}"
    return kind


def check_queue() -> CheckResult:
    from huey.contrib.djhuey import HUEY

    name = _("worker queue")
    description = queue_description(HUEY)
    try:
        pending = HUEY.pending_count()
    except Exception as exc:
        return CheckResult(
            name,
            False,
            f"{description}: {one_line(exc)}",
            _("Check TEND_QUEUE_URL (Redis) or that the data directory holds the queue file."),
        )
    return CheckResult(
        name,
        True,
        _("%(queue)s, %(count)d jobs waiting") % {"queue": description, "count": pending},
    )


def check_worker_heartbeat() -> CheckResult:
    from tend.cli.tasks import last_heartbeat

    name = _("worker")
    fix = _("Start the worker: tend worker (tend serve starts one).")
    try:
        beat = last_heartbeat()
    except Exception as exc:
        return CheckResult(name, False, one_line(exc), fix)
    if beat is None:
        return CheckResult(name, False, _("no heartbeat yet"), fix)
    age = max(time.time() - beat, 0)
    if age > HEARTBEAT_MAX_AGE_SECONDS:
        return CheckResult(
            name, False, _("last heartbeat %(seconds)d seconds ago") % {"seconds": age}, fix
        )
    return CheckResult(name, True, _("last heartbeat %(seconds)d seconds ago") % {"seconds": age})


def check_secret_key() -> CheckResult:
    name = _("secret key")
    key = settings.SECRET_KEY or ""
    if len(key) < 32 or key.startswith("django-insecure"):
        return CheckResult(
            name,
            False,
            _("missing or too short"),
            _("Set TEND_SECRET_KEY to a long random value, or unset it to use a generated one."),
        )
    return CheckResult(name, True, _("present"))


def check_debug_off() -> CheckResult:
    name = _("debug mode")
    if settings.DEBUG:
        return CheckResult(
            name, False, _("on"), _("Unset TEND_DEBUG: debug pages reveal internals.")
        )
    return CheckResult(name, True, _("off"))


CHECKS: list[Callable[[], CheckResult]] = [
    check_database,
    check_migrations,
    check_htmx_package,
    check_static_files,
    check_data_directory,
    check_queue,
    check_worker_heartbeat,
    check_secret_key,
    check_debug_off,
]


def run_checks() -> list[CheckResult]:
    return [check() for check in CHECKS]
