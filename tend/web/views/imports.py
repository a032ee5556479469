"""Importing a file (upload, map columns, dry run or import, watch progress, download the
error report) and exporting lists."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tend.core.errors import TendError
from tend.imports.actions import (
    confirm_import,
    imports_dir,
    queue_import,
    repeat_import,
    upload_import_file,
)
from tend.imports.kinds import KINDS, import_kind
from tend.imports.models import ImportStatus
from tend.imports.selectors import access_import_job, job_progress, recent_import_jobs
from tend.web.access import signed_in
from tend.web.views.common import error_text, is_htmx


def _kinds():
    return [(key, kind.label) for key, kind in KINDS.items()]


@signed_in
def import_list(request):
    """Start an import (choose a kind and a file); the user's recent imports below."""
    error = ""
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        kind = request.POST.get("kind", "")
        if upload is None:
            error, status = _("Choose a file to import."), 400
        else:
            try:
                job = upload_import_file(
                    actor=request.user, kind=kind, source=upload.file, file_name=upload.name
                )
            except TendError as exc:
                error, status = error_text(exc), exc.status
            else:
                return redirect("web:import_detail", pk=job.pk)
    return render(
        request,
        "web/imports/list.html",
        {
            "kinds": _kinds(),
            "jobs": recent_import_jobs(request.user),
            "error": error,
            "chosen_kind": request.POST.get("kind") or request.GET.get("kind", "customers"),
        },
        status=status,
    )


def _mapping_rows(job, fields):
    headers = job.options.get("headers", [])
    sample = job.options.get("sample", [])
    return [
        {
            "index": index,
            "header": header,
            "field": job.mapping.get(header, ""),
            "examples": [row[index] for row in sample if index < len(row) and row[index]][:3],
        }
        for index, header in enumerate(headers)
    ]


@signed_in
def import_detail(request, pk):
    """A draft: the column mapping to confirm. Started: its progress, then its result."""
    job = access_import_job(request.user, pk)
    kind_class = import_kind(job.kind)
    fields = kind_class(actor=request.user, match_key=job.match_key, options={}).fields()
    errors = {}
    status = 200
    if request.method == "POST" and job.status == ImportStatus.DRAFT:
        headers = job.options.get("headers", [])
        mapping = {
            header: request.POST.get(f"column-{index}", "") for index, header in enumerate(headers)
        }
        try:
            job = confirm_import(
                actor=request.user,
                job=job,
                mapping=mapping,
                match_key=request.POST.get("match_key", ""),
                dry_run=request.POST.get("action") == "dry_run",
                skip_invalid=request.POST.get("skip_invalid") == "on",
            )
            queue_import(job)
        except TendError as exc:
            errors = exc.field_errors or {"mapping": [str(exc.message)]}
            status = exc.status
            job.mapping = mapping
        else:
            return redirect("web:import_detail", pk=job.pk)
    return render(
        request,
        "web/imports/detail.html",
        {
            "job": job,
            "kind_label": kind_class.label,
            "fields": fields,
            "match_keys": list(kind_class.match_keys.items()),
            "rows": _mapping_rows(job, fields),
            "errors": errors,
            "progress": job_progress(job),
        },
        status=status,
    )


@signed_in
def import_progress(request, pk):
    """The progress panel, polled by the page (HTMX) until the job finishes."""
    job = access_import_job(request.user, pk)
    if not is_htmx(request):
        return redirect("web:import_detail", pk=job.pk)
    return render(
        request, "web/imports/_progress.html", {"job": job, "progress": job_progress(job)}
    )


@signed_in
@require_POST
def import_repeat(request, pk):
    """After a dry run: the same file and mapping, for real."""
    job = access_import_job(request.user, pk)
    try:
        again = repeat_import(actor=request.user, job=job, dry_run=False)
    except TendError as exc:
        messages.error(request, error_text(exc))
        return redirect("web:import_detail", pk=job.pk)
    queue_import(again)
    return redirect("web:import_detail", pk=again.pk)


@signed_in
def import_report(request, pk):
    job = access_import_job(request.user, pk)
    path = imports_dir() / job.report_name if job.report_name else None
    if path is None or not path.exists():
        raise Http404
    return FileResponse(
        open(path, "rb"),
        as_attachment=True,
        filename=f"{job.kind}-{job.pk}-errors.xlsx",
    )
