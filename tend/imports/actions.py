"""Starting and running imports.

A run reads the file once, converts and checks every row with the kind's rules, matches rows
to existing records by the chosen key, and writes in chunks — all inside ONE transaction. So
an import either lands whole or not at all: rows with errors roll the whole run back (unless
the user chose to skip them), a crash or a killed process leaves nothing half-written, and the
job says so. A dry run does everything but write. Progress goes to a small file next to the
upload, which the web page and the CLI read while the run holds its transaction."""

import hashlib
import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tend.accounts.models import User
from tend.audit.actions import record_change
from tend.audit.models import AuditAction
from tend.core.bulk import PlannerStatistics, large_write_cache
from tend.core.errors import TendError, ValidationFailed
from tend.imports.fields import message_of, normalise_header
from tend.imports.kinds import ChunkResult, RowError, import_kind
from tend.imports.models import ColumnMapping, ImportJob, ImportStatus
from tend.imports.readers import FileRejected, open_table, sample_rows

CHUNK_ROWS = 10_000
ERRORS_KEPT = 50_000
ERRORS_SAMPLE = 50


def imports_dir() -> Path:
    folder = Path(settings.DATA_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def progress_path(job: ImportJob) -> Path:
    return imports_dir() / f"{job.pk}.progress.json"


def report_path(job: ImportJob) -> Path:
    return imports_dir() / f"{job.pk}-errors.xlsx"


def store_upload(source, file_name: str) -> tuple[str, str, int]:
    """Copy an uploaded file (a path or a file object) into the data directory; refuse it if
    it is larger than the limit. Returns (stored name, sha256, size)."""
    limit = settings.TEND_IMPORT_MAX_BYTES
    suffix = Path(file_name).suffix.lower()[:8]
    stored_name = f"{uuid.uuid4()}{suffix}"
    target = imports_dir() / stored_name
    digest = hashlib.sha256()
    size = 0
    source_handle = open(source, "rb") if isinstance(source, (str, Path)) else source  # noqa: SIM115
    try:
        with open(target, "wb") as out:
            while chunk := source_handle.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise FileRejected(
                        _("The file is larger than %(limit)s MB: split it into smaller files.")
                        % {"limit": limit // (1024 * 1024)}
                    )
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        if isinstance(source, (str, Path)):
            source_handle.close()
    if size == 0:
        target.unlink(missing_ok=True)
        raise FileRejected(_("The file is empty: the first row must name the columns."))
    return stored_name, digest.hexdigest(), size


def suggest_mapping(*, actor: User, kind: str, headers: list[str]) -> tuple[dict, str]:
    """{header: field} from the user's saved mapping, else from the headers' names (Chinese
    or English); and the saved match key."""
    kind_class = import_kind(kind)
    saved = ColumnMapping.objects.filter(user=actor, kind=kind).first()
    saved_mapping = saved.mapping if saved else {}
    fields = kind_class(actor=actor, match_key="", options={}).fields()
    by_header = {}
    for import_field in fields:
        for text in import_field.headers():
            by_header.setdefault(text, import_field.name)
    mapping, used = {}, set()
    for header in headers:
        normalised = normalise_header(header)
        name = saved_mapping.get(normalised, by_header.get(normalised, ""))
        if name and name not in used:
            mapping[header] = name
            used.add(name)
        else:
            mapping[header] = ""
    match_key = saved.match_key if saved else ""
    if match_key not in kind_class.match_keys:
        match_key = next(
            (key for key in kind_class.match_keys if key in used), next(iter(kind_class.match_keys))
        )
    return mapping, match_key


def _check_mapping(kind, fields, mapping: dict, match_key: str) -> None:
    kind_class = type(kind)
    names = {import_field.name for import_field in fields}
    errors = {}
    unknown = sorted({name for name in mapping.values() if name and name not in names})
    if unknown:
        errors["mapping"] = [_("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)}]
    mapped = [name for name in mapping.values() if name]
    twice = sorted({name for name in mapped if mapped.count(name) > 1})
    if twice:
        errors.setdefault("mapping", []).append(
            _("Each field can come from one column only: %(fields)s.")
            % {"fields": ", ".join(twice)}
        )
    missing = [
        str(import_field.label)
        for import_field in fields
        if import_field.required and import_field.name not in mapped
    ]
    if missing:
        errors.setdefault("mapping", []).append(
            _("Required fields have no column: %(fields)s.") % {"fields": ", ".join(missing)}
        )
    extra = kind.mapping_errors(mapped)
    if extra:
        errors.setdefault("mapping", []).extend(extra)
    if match_key not in kind_class.match_keys:
        errors["match_key"] = [_("Choose the key rows are matched by.")]
    elif match_key not in mapped:
        errors["match_key"] = [
            _("No column holds the key rows are matched by (%(key)s).")
            % {"key": kind_class.match_keys[match_key]}
        ]
    if errors:
        raise ValidationFailed(field_errors=errors)


def upload_import_file(*, actor: User, kind: str, source, file_name: str) -> ImportJob:
    """Keep the file and read its header: a draft job whose mapping the user confirms next
    (the columns' names are matched to fields, from the user's last mapping first)."""
    kind_class = import_kind(kind)
    if kind_class is None:
        raise ValidationFailed(field_errors={"kind": [_("Unknown kind of import.")]})
    stored_name, digest, size = store_upload(source, file_name)
    path = imports_dir() / stored_name
    try:
        table = open_table(path, file_name)
        headers = table.headers
        table.rows.close()
        sample = sample_rows(path, file_name)
    except TendError:
        path.unlink(missing_ok=True)
        raise
    mapping, match_key = suggest_mapping(actor=actor, kind=kind, headers=headers)
    return ImportJob.objects.create(
        kind=kind,
        file_name=file_name[:255],
        stored_name=stored_name,
        file_sha256=digest,
        file_size=size,
        encoding=table.encoding,
        mapping=mapping,
        match_key=match_key,
        options={"headers": headers, "sample": [[_sample_text(v) for v in row] for row in sample]},
        status=ImportStatus.DRAFT,
        created_by=actor,
    )


def _sample_text(value) -> str:
    return "" if value is None else str(value)[:100]


@transaction.atomic
def confirm_import(
    *,
    actor: User,
    job: ImportJob,
    mapping: dict | None = None,
    match_key: str = "",
    dry_run: bool = False,
    skip_invalid: bool = False,
) -> ImportJob:
    """Check the mapping, remember it for next time, and queue the run (after commit)."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportStatus.DRAFT:
        raise ValidationFailed(_("This import has already been started."))
    kind_class = import_kind(job.kind)
    headers = job.options.get("headers", [])
    mapping = {**job.mapping, **(mapping or {})}
    unknown_headers = [header for header in mapping if header not in headers]
    if unknown_headers:
        raise ValidationFailed(
            field_errors={
                "mapping": [
                    _("The file has no column named %(names)s.")
                    % {"names": ", ".join(unknown_headers)}
                ]
            }
        )
    match_key = match_key or job.match_key
    kind = kind_class(actor=actor, match_key=match_key, options={})
    _check_mapping(kind, kind.fields(), mapping, match_key)
    ColumnMapping.objects.update_or_create(
        user=actor,
        kind=job.kind,
        defaults={
            "mapping": {normalise_header(h): name for h, name in mapping.items() if name},
            "match_key": match_key,
        },
    )
    job.mapping = mapping
    job.match_key = match_key
    job.dry_run = dry_run
    job.options = {**job.options, "skip_invalid": skip_invalid}
    job.status = ImportStatus.PENDING
    job.save()
    return job


def queue_import(job: ImportJob) -> None:
    """Run the job on the worker once the confirming transaction has committed."""
    from tend.imports.tasks import run_import_job

    transaction.on_commit(lambda: run_import_job(job.pk))


@transaction.atomic
def repeat_import(*, actor: User, job: ImportJob, dry_run: bool) -> ImportJob:
    """The same file and mapping again — typically for real after a dry run."""
    if not job.is_finished:
        raise ValidationFailed(_("This import has not finished yet."))
    return ImportJob.objects.create(
        kind=job.kind,
        file_name=job.file_name,
        stored_name=job.stored_name,
        file_sha256=job.file_sha256,
        file_size=job.file_size,
        encoding=job.encoding,
        mapping=job.mapping,
        match_key=job.match_key,
        options={key: job.options.get(key) for key in ("headers", "sample", "skip_invalid")},
        dry_run=dry_run,
        status=ImportStatus.PENDING,
        created_by=actor,
    )


def create_import_job(
    *,
    actor: User,
    kind: str,
    source,
    file_name: str,
    mapping: dict | None = None,
    match_key: str = "",
    dry_run: bool = False,
    skip_invalid: bool = False,
) -> ImportJob:
    """Upload and confirm in one step (the CLI): a pending job ready to run."""
    job = upload_import_file(actor=actor, kind=kind, source=source, file_name=file_name)
    try:
        return confirm_import(
            actor=actor,
            job=job,
            mapping=mapping,
            match_key=match_key,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
        )
    except TendError:
        discard_upload(job)
        job.delete()
        raise


class _RollBack(Exception):
    """Raised inside the run's transaction to undo it."""


def _write_progress(job: ImportJob, **values) -> None:
    path = progress_path(job)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(values))
    os.replace(temporary, path)


def read_progress(job: ImportJob) -> dict:
    try:
        return json.loads(progress_path(job).read_text())
    except (OSError, ValueError):
        return {}


def run_import(job: ImportJob, *, on_progress: Callable[[dict], None] | None = None) -> ImportJob:
    """Run a pending job to its end: done, or rolled back with the reason."""
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PENDING).update(
        status=ImportStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return ImportJob.objects.get(pk=job.pk)
    job.refresh_from_db()
    actor = job.created_by
    path = imports_dir() / job.stored_name
    totals = ChunkResult()
    errors: list[RowError] = []
    status, message = ImportStatus.DONE, ""
    processed = 0
    try:
        total = sum(1 for _row in open_table(path, job.file_name).rows)
        table = open_table(path, job.file_name)
        kind = import_kind(job.kind)(
            actor=actor,
            match_key=job.match_key,
            options={"note": f"import {job.pk}"},
        )
        fields = {import_field.name: import_field for import_field in kind.fields()}
        columns = [
            (index, fields[job.mapping[header]])
            for index, header in enumerate(table.headers)
            if job.mapping.get(header)
        ]
        skip_invalid = bool(job.options.get("skip_invalid"))

        def report(state: str):
            values = {
                "state": state,
                "total": total,
                "processed": processed,
                "created": totals.created,
                "updated": totals.updated,
                "unchanged": totals.unchanged,
                "errors": len(errors),
            }
            _write_progress(job, **values)
            if on_progress:
                on_progress(values)

        report("running")
        statistics = PlannerStatistics(kind.written_tables())
        with large_write_cache(), transaction.atomic():
            chunk = []
            for number, cells in table.rows:
                values, raw, row_errors = _convert(number, cells, columns, kind)
                processed += 1
                if row_errors:
                    if len(errors) < ERRORS_KEPT:
                        errors.extend(row_errors)
                    totals.errors.append(None)
                else:
                    chunk.append((number, values, raw))
                if len(chunk) >= CHUNK_ROWS:
                    result = kind.process(chunk, write=not job.dry_run)
                    _add(totals, result, errors)
                    statistics.wrote(0 if job.dry_run else result.created + result.updated)
                    chunk = []
                    report("running")
            if chunk:
                _add(totals, kind.process(chunk, write=not job.dry_run), errors)
            report("finishing")
            if errors and not skip_invalid:
                status = ImportStatus.ROLLED_BACK
                message = _(
                    "%(count)s rows have errors, so nothing was imported. Correct them (see "
                    "the error report) and import the file again, or choose to skip invalid rows."
                ) % {"count": len({error.row for error in errors})}
                raise _RollBack
            if job.dry_run:
                message = _("Dry run: nothing was written.")
                raise _RollBack
            record_change(
                actor=actor,
                action=AuditAction.IMPORT,
                instance=job,
                note=f"{job.kind}: {totals.created} created, {totals.updated} updated",
            )
    except _RollBack:
        pass
    except FileRejected as exc:
        status, message = ImportStatus.ROLLED_BACK, str(exc.message)
    except Exception as exc:  # an unexpected failure: the transaction is rolled back
        status = ImportStatus.ROLLED_BACK
        message = _("The import failed and was rolled back; nothing was written. (%(error)s)") % {
            "error": type(exc).__name__
        }
        if settings.DEBUG:
            raise
    report_name = ""
    if errors:
        from tend.imports.report import write_error_report

        write_error_report(report_path(job), errors)
        report_name = report_path(job).name
    ImportJob.objects.filter(pk=job.pk).update(
        status=status,
        message=message,
        total_rows=processed,
        processed_rows=processed,
        created_count=totals.created,
        updated_count=totals.updated,
        unchanged_count=totals.unchanged,
        error_count=len({error.row for error in errors}),
        errors_sample=[error.__dict__ for error in errors[:ERRORS_SAMPLE]],
        report_name=report_name,
        finished_at=timezone.now(),
    )
    progress_path(job).unlink(missing_ok=True)
    job.refresh_from_db()
    return job


def _add(totals: ChunkResult, result: ChunkResult, errors: list) -> None:
    totals.created += result.created
    totals.updated += result.updated
    totals.unchanged += result.unchanged
    if len(errors) < ERRORS_KEPT:
        errors.extend(result.errors)


def _convert(number: int, cells: list, columns, kind) -> tuple[dict, dict, list[RowError]]:
    values, raw, errors = {}, {}, []
    width = len(cells)
    for index, import_field in columns:
        cell = cells[index] if index < width else None
        if cell is None or cell == "":
            if import_field.required:
                errors.append(RowError(number, import_field.name, "", _("This field is required.")))
            else:
                values[import_field.name] = import_field.default
            continue
        raw[import_field.name] = cell
        try:
            values[import_field.name] = import_field.convert(cell) if import_field.convert else cell
        except ValidationError as exc:
            errors.append(RowError(number, import_field.name, str(cell)[:200], message_of(exc)))
    if not errors:
        for field_name, messages in kind.row_errors(values).items():
            errors.append(
                RowError(number, field_name, str(raw.get(field_name, ""))[:200], " ".join(messages))
            )
    return values, raw, errors


def discard_upload(job: ImportJob) -> None:
    (imports_dir() / job.stored_name).unlink(missing_ok=True)
