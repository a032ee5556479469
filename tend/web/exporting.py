"""Answering a list's "export" link: the same filtered, visibility-scoped records the list
shows, as CSV (streamed) or XLSX (written to a temporary file, then sent).

Each list view reads its filters and order with one function that its export view calls too,
and the export reads the rows through the list's own selector (every page of it, in the
page's order: `tend.core.pagination.keyset_ordering`)."""

import tempfile
from collections.abc import Iterable

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from tend.imports.exports import ExportColumn, csv_chunks, write_xlsx

# Excel holds 1,048,576 rows; a bigger export is cut there (the header takes one).
MAX_EXPORT_ROWS = 1_000_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows read per query; a prefetch runs once per chunk, so the queries stay few at any size.
CHUNK_SIZE = 2000


def export_query(params) -> str:
    """A list's query string for its export links: its filters and order, without its page
    position (an export holds every page)."""
    query = params.copy()
    for name in ("cursor", "format"):
        query.pop(name, None)
    return query.urlencode()


def person(user, empty: str = "") -> str:
    """A user's name in a cell, or `empty` when there is none."""
    return user.display_name if user is not None else empty


def yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def hidden_when_locked(columns: list[ExportColumn], shown: tuple[int, ...]) -> list[ExportColumn]:
    """`columns` for customers marked `locked` (tend.customers.selectors.marked_locked): a
    customer locked for the reader keeps the columns at the positions `shown` (its id, name,
    owner) and has every other cell empty, plus a last column saying it is locked."""

    def guarded(read):
        return lambda customer: "" if customer.locked else read(customer)

    kept = [
        column if index in shown else ExportColumn(column.label, guarded(column.value))
        for index, column in enumerate(columns)
    ]
    return [*kept, ExportColumn(_("Locked"), lambda customer: yes_no(customer.locked))]


def export_response(
    request, *, name: str, columns: list[ExportColumn], queryset: QuerySet | Iterable
):
    """`queryset` is read in chunks; any other iterable of records (a list page made of two
    sections) is read as it is."""
    export_format = "csv" if request.GET.get("format") == "csv" else "xlsx"
    if isinstance(queryset, QuerySet):
        records = queryset.iterator(chunk_size=CHUNK_SIZE)
    else:
        records = iter(queryset)
    records = (record for _index, record in zip(range(MAX_EXPORT_ROWS), records, strict=False))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    file_name = f"{name}-{stamp}.{export_format}"
    if export_format == "csv":
        response = StreamingHttpResponse(
            csv_chunks(columns, records), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{file_name}"'
        return response
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    write_xlsx(spool, columns, records, title=name)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=file_name, content_type=XLSX_TYPE)
