"""Scheduled jobs for the recycle bin (Huey discovers `tasks` modules of installed apps)."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from tend.recyclebin.actions import purge_expired

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(hour="3", minute="15"), retries=3, retry_delay=600)
def purge_recycle_bin():
    purged = purge_expired()
    logger.info("recycle bin: purged %s records past retention", purged)
    return purged
