"""The job queue in Redis, as when several machines share the work: a worker started with
TEND_QUEUE_URL keeps its schedule there, and `tend doctor` sees it. Skipped where no Redis
answers on 127.0.0.1:6379, unless CI is set."""

import os
import subprocess
import uuid

import pytest

from tests.cli.test_serve import POLL_ATTEMPTS, TEND, _environment

REDIS_URL = os.environ.get("TEND_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_queue():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        message = f"Redis is not reachable at {REDIS_URL} (set TEND_TEST_REDIS_URL)"
        if os.environ.get("CI"):
            pytest.fail(message + " — CI requires it.")
        pytest.skip(message)
    yield client
    client.close()


@pytest.fixture
def queue_data_dir(tmp_path):
    env = _environment(tmp_path)
    subprocess.run([TEND, "migrate"], env=env, check=True, capture_output=True, timeout=120)
    return tmp_path


def _env(data_dir, queue_name):
    env = _environment(data_dir)
    env["TEND_QUEUE_URL"] = REDIS_URL
    env["TEND_QUEUE_NAME"] = queue_name
    return env


def test_a_worker_on_a_redis_queue_beats_and_doctor_sees_it(redis_queue, queue_data_dir):
    queue_name = f"tendtest{uuid.uuid4().hex[:8]}"  # Huey keeps only letters and digits
    env = _env(queue_data_dir, queue_name)

    before = subprocess.run([TEND, "doctor"], env=env, capture_output=True, text=True, timeout=120)
    assert "Redis" in before.stdout
    assert "no heartbeat yet" in before.stdout

    worker = subprocess.Popen(
        [TEND, "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        for _attempt in range(POLL_ATTEMPTS):
            if any(queue_name in key.decode() for key in redis_queue.keys("*")):
                after = subprocess.run(
                    [TEND, "doctor"], env=env, capture_output=True, text=True, timeout=120
                )
                if "last heartbeat" in after.stdout:
                    break
            try:
                worker.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                continue
            pytest.fail(f"the worker exited early:\n{worker.stdout.read()}")
        else:
            pytest.fail("the worker never wrote its heartbeat to Redis")
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        for key in redis_queue.keys(f"*{queue_name}*"):
            redis_queue.delete(key)
    assert "last heartbeat" in after.stdout
