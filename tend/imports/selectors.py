"""Reading import jobs: a user sees their own (admins everyone's), with live progress."""

import time

from django.db.models import QuerySet

from tend.accounts.models import User
from tend.core.ids import get_or_not_found
from tend.imports.models import ImportJob, ImportStatus

# A running job whose progress file has not moved for this long died with its process; its
# one transaction was rolled back by the database.
STALE_SECONDS = 600


def visible_import_jobs(user: User) -> QuerySet[ImportJob]:
    jobs = ImportJob.objects.all()
    return jobs if user.is_admin else jobs.filter(created_by=user)


def access_import_job(user: User, job_id) -> ImportJob:
    return get_or_not_found(visible_import_jobs(user).select_related("created_by"), job_id)


def recent_import_jobs(user: User, limit: int = 20) -> list[ImportJob]:
    return list(
        visible_import_jobs(user).select_related("created_by").order_by("-created_at")[:limit]
    )


def job_progress(job: ImportJob) -> dict:
    """Where a job stands: its state, rows done of all, and the counts so far."""
    from tend.imports.actions import progress_path, read_progress

    counts = {
        "total": job.total_rows,
        "processed": job.processed_rows,
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "errors": job.error_count,
    }
    state = job.status
    if job.status == ImportStatus.RUNNING:
        counts.update({k: v for k, v in read_progress(job).items() if k in counts})
        path = progress_path(job)
        last_move = path.stat().st_mtime if path.exists() else job.started_at.timestamp()
        if time.time() - last_move > STALE_SECONDS:
            state = "interrupted"
    total = counts["total"] or 0
    percent = 100 if job.is_finished else (counts["processed"] * 100 // total if total else 0)
    return {"state": state, "percent": percent, **counts}
