"""Imports run on the worker, so a long file never holds a web request."""

from huey.contrib.djhuey import db_task

from tend.imports.models import ImportJob


@db_task()
def run_import_job(job_id: int) -> str:
    from django.conf import settings
    from django.utils import translation

    from tend.imports.actions import run_import

    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None:
        return "missing"
    # Row messages are stored as text: in the language of the user who will read them.
    with translation.override(job.created_by.language or settings.LANGUAGE_CODE):
        return run_import(job).status
