"""The worker's heartbeat: a timestamp written every minute into the queue's own storage, so
that `tend doctor` can tell whether a worker is running and its schedule is being kept —
wherever the worker runs, as long as it shares the queue."""

import time

from huey import crontab
from huey.contrib.djhuey import HUEY, periodic_task

HEARTBEAT_KEY = "tend:worker-heartbeat"


def record_heartbeat() -> float:
    now = time.time()
    HUEY.put(HEARTBEAT_KEY, now)
    return now


def last_heartbeat() -> float | None:
    """Seconds since the epoch of the last heartbeat, or None if no worker ever wrote one."""
    return HUEY.get(HEARTBEAT_KEY, peek=True)


@periodic_task(crontab(minute="*"))
def worker_heartbeat():
    return record_heartbeat()
