"""Scheduled jobs for contracts (Huey discovers `tasks` modules of installed apps)."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from tend.contracts.actions import remove_orphan_files

logger = logging.getLogger(__name__)


# After the recycle bin's purge (03:15), which removes rows but not their stored files.
@db_periodic_task(crontab(hour="4", minute="15"), retries=3, retry_delay=600)
def remove_orphan_attachment_files():
    removed = remove_orphan_files()
    logger.info("contracts: removed %s attachment files no record names", removed)
    return removed
