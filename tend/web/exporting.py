"""Answering a list's "export" link: the same filtered, visibility-scoped records the list
shows, as CSV (streamed) or XLSX (written to a temporary file, then sent)."""

import tempfile

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from tend.imports.exports import csv_chunks, write_xlsx

# Excel holds 1,048,576 rows; a bigger export is cut there (the header takes one).
MAX_EXPORT_ROWS = 1_000_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_response(request, *, name: str, columns, queryset):
    export_format = "csv" if request.GET.get("format") == "csv" else "xlsx"
    records = queryset.iterator(chunk_size=2000)
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
