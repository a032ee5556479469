"""`tend serve` as a user runs it: a real process with gunicorn and the worker as children."""

import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

TEND = str(Path(sys.executable).with_name("tend"))
POLL_ATTEMPTS = 300  # each waits up to 0.2 s on the server process: at most a minute


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(data_dir: Path) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "TEND_QUEUE_URL", "TEND_DEBUG"}
    }
    env["TEND_DATA_DIR"] = str(data_dir)
    env["TEND_LANGUAGE"] = "en"
    return env


def _healthz(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200 and response.read() == b"ok"
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def migrated_data_dir(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("tend-data")
    env = _environment(data_dir)
    subprocess.run([TEND, "migrate"], env=env, check=True, capture_output=True, timeout=120)
    return data_dir


def test_serve_answers_and_stops_both_children_on_ctrl_c(migrated_data_dir):
    port = _free_port()
    log = migrated_data_dir / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [TEND, "serve", "--port", str(port), "--workers", "1"],
            env=_environment(migrated_data_dir),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            for _attempt in range(POLL_ATTEMPTS):
                if _healthz(port):
                    break
                try:
                    server.wait(timeout=0.2)
                except subprocess.TimeoutExpired:
                    continue
                pytest.fail(f"tend serve exited early:\n{log.read_text()}")
            else:
                pytest.fail(f"tend serve never answered /healthz:\n{log.read_text()}")

            started = re.search(
                r"web server \(pid (\d+)\) and worker \(pid (\d+)\)", log.read_text()
            )
            children = [int(started.group(1)), int(started.group(2))]
            assert all(_alive(pid) for pid in children)
            assert f"Tend is running at http://127.0.0.1:{port}/" in log.read_text()

            server.send_signal(signal.SIGINT)
            code = server.wait(timeout=60)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()

    assert code == 0, log.read_text()
    assert not any(_alive(pid) for pid in children)
    assert "Stopped." in log.read_text()
    assert not _healthz(port)


def test_serve_refuses_a_port_in_use(migrated_data_dir):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        result = subprocess.run(
            [TEND, "serve", "--port", str(port)],
            env=_environment(migrated_data_dir),
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert result.returncode == 2
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Started web server" not in result.stdout


def test_worker_runs_its_schedule_and_stops_cleanly_on_sigterm(migrated_data_dir):
    log = migrated_data_dir / "worker.log"
    with log.open("w") as output:
        worker = subprocess.Popen(
            [TEND, "worker"],
            env=_environment(migrated_data_dir),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            for _attempt in range(POLL_ATTEMPTS):
                if "+ tend.cli.tasks.worker_heartbeat" in log.read_text():
                    break
                try:
                    worker.wait(timeout=0.2)
                except subprocess.TimeoutExpired:
                    continue
                pytest.fail(f"tend worker exited early:\n{log.read_text()}")
            else:
                pytest.fail(f"tend worker never started:\n{log.read_text()}")

            worker.send_signal(signal.SIGTERM)
            code = worker.wait(timeout=60)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()

    assert code == 0, log.read_text()
    assert "+ tend.recyclebin.tasks.purge_recycle_bin" in log.read_text()
    assert "Consumer exiting." in log.read_text()
