"""The error report of an import: one line per problem (row, column, value, message), as an
XLSX file the user downloads, fixes the file by, and imports again."""

from pathlib import Path

from django.utils.translation import gettext as _

from tend.imports.exports import safe_cell


def write_error_report(path: Path, errors) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Errors"))
    sheet.append([_("Row"), _("Column"), _("Value"), _("Message")])
    for error in errors:
        sheet.append([error.row, error.column, safe_cell(error.value), error.message])
    workbook.save(path)
