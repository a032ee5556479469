"""Exporting a list to XLSX or CSV.

Every cell a spreadsheet would read as a formula (=, +, -, @, or a tab / carriage return
first) is prefixed with an apostrophe, so a customer named "=HYPERLINK(…)" stays text (CSV
injection, OWASP). Rows stream out: a list of a million customers never sits in memory."""

import csv
import datetime
import decimal
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils import timezone

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True)
class ExportColumn:
    label: object
    value: Callable  # (record) -> cell value


def _plain(value):
    if isinstance(value, datetime.datetime):
        # Spreadsheets have no time zones: local time, without the offset.
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, decimal.Decimal):
        return value
    if value is None:
        return ""
    if isinstance(value, (int, float, datetime.date, bool)):
        return value
    return safe_cell(str(value))


def csv_chunks(columns: list[ExportColumn], records: Iterable) -> Iterable[bytes]:
    """UTF-8 with a BOM, so that Excel on Chinese Windows opens it right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([str(column.label) for column in columns])
    for count, record in enumerate(records, start=1):
        writer.writerow(
            [
                value.isoformat(" ") if isinstance(value, datetime.datetime) else value
                for value in (_plain(column.value(record)) for column in columns)
            ]
        )
        if count % 1000 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(path_or_stream, columns: list[ExportColumn], records: Iterable, title: str) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31] or "Export")
    sheet.append([str(column.label) for column in columns])
    for record in records:
        sheet.append([_plain(column.value(record)) for column in columns])
    workbook.save(path_or_stream)
