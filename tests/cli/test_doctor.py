import time

import pytest
from huey.contrib.djhuey import HUEY

from tend.cli import doctor
from tend.cli.tasks import HEARTBEAT_KEY, last_heartbeat, worker_heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def healthy(settings, tmp_path):
    """An installation that passes every check: static assets collected, a writable data
    directory, a worker that has just reported."""
    static = tmp_path / "static"
    (static / "vendor" / "htmx").mkdir(parents=True)
    (static / "vendor" / "htmx" / "htmx.min.js").write_text("/* htmx */")
    settings.STATIC_ROOT = static
    settings.DATA_DIR = tmp_path
    settings.DEBUG = False
    worker_heartbeat()
    yield
    HUEY.delete(HEARTBEAT_KEY)


def _lines(out):
    return {line.split()[1]: line for line in out.splitlines() if line.startswith(("OK", "FAIL"))}


def test_doctor_passes_on_a_healthy_installation(tend, healthy):
    code, out, _err = tend("doctor")

    assert code == 0
    statuses = [line.split()[0] for line in out.splitlines()[:-1] if not line.startswith(" ")]
    assert statuses == ["OK"] * 9
    assert out.splitlines()[-1] == "All 9 checks passed."
    assert "worker queue" in out


def test_doctor_fails_when_debug_is_on_and_says_how_to_fix_it(tend, healthy, settings):
    settings.DEBUG = True

    code, out, _err = tend("doctor")

    assert code == 1
    lines = out.splitlines()
    index = next(i for i, line in enumerate(lines) if "debug mode" in line)
    assert lines[index].split() == ["FAIL", "debug", "mode", "on"]
    assert lines[index + 1].strip() == "→ Unset TEND_DEBUG: debug pages reveal internals."
    assert lines[-1] == "1 of 9 checks failed."


def test_doctor_fails_without_a_worker_heartbeat(tend, healthy):
    HUEY.delete(HEARTBEAT_KEY)

    code, out, _err = tend("doctor")

    assert code == 1
    assert "FAIL  worker" in out
    assert "no heartbeat yet" in out
    assert "→ Start the worker: tend worker (tend serve starts one)." in out


def test_doctor_fails_on_a_stale_heartbeat(tend, healthy):
    HUEY.put(HEARTBEAT_KEY, time.time() - 600)

    code, out, _err = tend("doctor")

    assert code == 1
    assert "last heartbeat 600 seconds ago" in out


def test_doctor_fails_when_static_assets_are_not_collected(tend, healthy, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "nothing-here"

    code, out, _err = tend("doctor")

    assert code == 1
    assert f"not collected in {tmp_path / 'nothing-here'}" in out
    assert "→ Run: tend manage collectstatic --noinput" in out


def test_doctor_fails_when_the_data_directory_is_missing(tend, healthy, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "missing"

    code, out, _err = tend("doctor")

    assert code == 1
    assert "FAIL  data directory" in out


def test_database_description_masks_the_password():
    config = {"USER": "tend", "PASSWORD": "s3cret", "HOST": "db", "PORT": 5432, "NAME": "crm"}

    assert doctor.database_description("postgresql", config) == "postgresql://tend:***@db:5432/crm"


def test_database_description_without_a_password():
    config = {"USER": "postgres", "PASSWORD": "", "HOST": "127.0.0.1", "PORT": "", "NAME": "t"}

    assert doctor.database_description("postgresql", config) == "postgresql://postgres@127.0.0.1/t"
    assert doctor.database_description("sqlite", {"NAME": "/srv/tend.sqlite3"}) == (
        "SQLite /srv/tend.sqlite3"
    )


def test_heartbeat_task_records_the_time():
    before = time.time()
    worker_heartbeat()

    assert before <= last_heartbeat() <= time.time()
    HUEY.delete(HEARTBEAT_KEY)
