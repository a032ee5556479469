"""Reading an uploaded table: CSV in UTF-8, UTF-8 with BOM or GB18030, or XLSX.

Rows come out as lists of stripped strings (XLSX dates and numbers as Python values), with
their row number in the file as people count it (the header is row 1). Anything wrong with
the file itself — an encoding that is neither, a truncated or oversized XLSX, a zip bomb —
raises FileRejected with a sentence that says what and what to do."""

import codecs
import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from tend.core.errors import ValidationFailed

# XLSX is a zip of XML files. Limits against archives that expand into gigabytes (zip bombs)
# or hold millions of parts; openpyxl parses the XML through defusedxml (entity bombs).
MAX_XLSX_MEMBERS = 10_000
MAX_COMPRESSION_RATIO = 200
# A CSV that is not a table (a quote left open, text with no line breaks) turns into cells of
# megabytes or rows of millions of cells: refused, naming the row, before it fills memory.
CSV_FIELD_LIMIT = 1_000_000
MAX_COLUMNS = 1_000


class FileRejected(ValidationFailed):
    pass


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[tuple[int, list]]
    encoding: str
    format: str


def max_upload_bytes() -> int:
    return settings.TEND_IMPORT_MAX_BYTES


def open_table(path: Path, file_name: str = "") -> Table:
    name = (file_name or path.name).lower()
    with open(path, "rb") as handle:
        head = handle.read(8)
    if name.endswith((".xlsx", ".xlsm")) or head.startswith(b"PK\x03\x04"):
        return _open_xlsx(path)
    if name.endswith(".xls") or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRejected(
            _("Old Excel files (.xls) are not supported: save the sheet as .xlsx or CSV.")
        )
    return _open_csv(path)


def detect_encoding(path: Path) -> str:
    """utf-8-sig when the file starts with a BOM; else utf-8 if the whole file decodes as
    UTF-8; else gb18030 (which Excel on Chinese Windows writes) if it decodes as that."""
    with open(path, "rb") as handle:
        if handle.read(3) == codecs.BOM_UTF8:
            return "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise FileRejected(
        _(
            "The file is neither UTF-8 nor GB18030 text. Save it from your spreadsheet as "
            "“CSV UTF-8” or as .xlsx and upload it again."
        )
    )


def _open_csv(path: Path) -> Table:
    encoding = detect_encoding(path)
    csv.field_size_limit(CSV_FIELD_LIMIT)
    handle = open(path, encoding=encoding, newline="")  # noqa: SIM115 (closed by the generator)
    sample = handle.read(64 * 1024)
    handle.seek(0)
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample else csv.excel
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(handle, dialect)
    try:
        first = next(reader, [])
        _check_width(1, first)
    except csv.Error as exc:
        handle.close()
        raise _unreadable_csv(exc, 1) from exc
    except FileRejected:
        handle.close()
        raise
    headers = [cell.strip() for cell in first]
    if not any(headers):
        handle.close()
        raise FileRejected(_("The file is empty: the first row must name the columns."))

    def rows():
        # Rows are counted as a spreadsheet shows them: a quoted cell may span several lines.
        number = 1
        try:
            for row in reader:
                number += 1
                _check_width(number, row)
                if any(row):
                    yield number, row
        except csv.Error as exc:
            raise _unreadable_csv(exc, number + 1) from exc
        finally:
            handle.close()

    return Table(headers=headers, rows=rows(), encoding=encoding, format="csv")


def _check_width(number: int, row: list) -> None:
    if len(row) > MAX_COLUMNS:
        raise FileRejected(
            _(
                "Row %(row)s has %(count)s columns; a table can have at most %(limit)s. Is the "
                "file really a table with one record per line?"
            )
            % {"row": number, "count": len(row), "limit": MAX_COLUMNS}
        )


def _unreadable_csv(error: csv.Error, number: int) -> FileRejected:
    if "field limit" in str(error):
        return FileRejected(
            _(
                "Row %(row)s has a cell of more than %(limit)s characters, so the file is not a "
                "proper table (is a quotation mark left open?). Correct that row and upload the "
                "file again."
            )
            % {"row": number, "limit": f"{CSV_FIELD_LIMIT:,}"}
        )
    if number == 1:
        return FileRejected(_("The file is not a readable CSV table: %(error)s") % {"error": error})
    return FileRejected(
        _("Row %(row)s cannot be read as CSV: %(error)s") % {"row": number, "error": error}
    )


def _check_archive(path: Path) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileRejected(
            _("The Excel file is damaged or incomplete (was the upload cut off?). Save it again.")
        ) from exc
    with archive:
        members = archive.infolist()
        if len(members) > MAX_XLSX_MEMBERS:
            raise FileRejected(_("The Excel file holds too many parts to be a normal workbook."))
        expanded = sum(member.file_size for member in members)
        packed = max(1, sum(member.compress_size for member in members))
        if expanded > settings.TEND_IMPORT_MAX_BYTES * 10 or expanded / packed > (
            MAX_COMPRESSION_RATIO
        ):
            raise FileRejected(
                _("The Excel file expands to far more data than it holds; it is refused.")
            )
        bad = archive.testzip()
        if bad is not None:
            raise FileRejected(
                _(
                    "The Excel file is damaged or incomplete (was the upload cut off?). Save it again."
                )
            )


def _open_xlsx(path: Path) -> Table:
    import openpyxl

    _check_archive(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise FileRejected(
            _("The Excel file cannot be read: %(error)s") % {"error": type(exc).__name__}
        ) from exc
    sheet = workbook.worksheets[0]
    cells = sheet.iter_rows(values_only=True)
    try:
        first = next(cells, None)
    except Exception as exc:
        workbook.close()
        raise FileRejected(
            _("The Excel file cannot be read: %(error)s") % {"error": type(exc).__name__}
        ) from exc
    headers = [_text(value) for value in (first or ())]
    if not any(headers):
        workbook.close()
        raise FileRejected(_("The file is empty: the first row must name the columns."))

    def rows():
        try:
            for number, row in enumerate(cells, start=2):
                values = [value.strip() if isinstance(value, str) else value for value in row]
                if any(value not in (None, "") for value in values):
                    yield number, values
        except Exception as exc:
            raise FileRejected(
                _("The Excel file cannot be read: %(error)s") % {"error": type(exc).__name__}
            ) from exc
        finally:
            workbook.close()

    return Table(headers=headers, rows=rows(), encoding="", format="xlsx")


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def count_rows(path: Path, file_name: str = "") -> int:
    """Data rows in the table, for the progress bar (a fast pass for CSV)."""
    table = open_table(path, file_name)
    return sum(1 for _row in table.rows)


def sample_rows(path: Path, file_name: str = "", limit: int = 5) -> list[list]:
    table = open_table(path, file_name)
    sample = []
    for _number, row in table.rows:
        sample.append(row)
        if len(sample) >= limit:
            break
    table.rows.close()
    return sample


__all__ = ["FileRejected", "Table", "count_rows", "open_table", "sample_rows"]
