"""CSV and XLSX downloads that write rows as they are read, so memory does not grow with them.

CSV streams: each row is sent as soon as it is formatted. XLSX cannot be sent before it is
finished (it is a zip), so openpyxl's write-only mode spools the rows to a temporary file, which
is then streamed and deleted when the response is closed.

Shared by every app's exports (calls, reports, the member list, the audit log): one formula guard.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"

# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# ...but a phone number, masked or not, or a signed figure, cannot call anything: leave those be.
_PLAIN_FIGURE = re.compile(r"[+-]?[\d\s*.()-]*")

Row = Sequence[object]


def spreadsheet_safe(text: str) -> str:
    """Text a spreadsheet shows as text: a leading apostrophe defuses a would-be formula."""
    if text.startswith(_FORMULA_START) and not _PLAIN_FIGURE.fullmatch(text):
        return "'" + text
    return text


def formula_unguarded(text: str) -> str:
    """The text as it was before `spreadsheet_safe` put its apostrophe in front (on import)."""
    guarded = text[1:]
    if text[:1] == "'" and spreadsheet_safe(guarded) == text:
        return guarded
    return text


def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _local(value).strftime(DATETIME_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return spreadsheet_safe(value)
    return value


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer to stream through."""

    def write(self, value: str) -> str:
        return value


def csv_response(*, filename: str, header: Row, rows: Iterable[Row]) -> StreamingHttpResponse:
    """A CSV download streamed row by row from `rows` (pass an iterator, not a list)."""
    writer = csv.writer(_Echo())
    # The rows are made while the response streams, after the view has returned: their words
    # are said in the reader's language still, set around each row only, so that the thread's
    # language is its own again between rows (a download given up halfway leaks nothing).
    language = translation.get_language()

    def lines() -> Iterator[str]:
        with translation.override(language):
            # The byte-order mark lets Excel read UTF-8 (names in Chinese) instead of guessing.
            line = "\ufeff" + writer.writerow([csv_value(cell) for cell in header])
        yield line
        remaining = iter(rows)
        while True:
            with translation.override(language):
                row = next(remaining, None)
                if row is None:
                    return
                line = writer.writerow([csv_value(cell) for cell in row])
            yield line

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: object, *, bold: bool = False) -> object:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, datetime):
        # Excel has no time zones: write the local wall-clock time.
        value = _local(value).replace(tzinfo=None)
    formula_like = isinstance(value, str) and value.startswith("=")
    if not (bold or formula_like or isinstance(value, date)):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        # openpyxl would store "=..." as a formula; keep it text.
        cell.data_type = "s"
    elif isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    if bold:
        cell.font = Font(bold=True)
    return cell


def xlsx_response(
    *,
    filename: str,
    sheet_title: str,
    header: Row,
    rows: Iterable[Row],
    total: Row | None = None,
    column_widths: Sequence[int] = (),
) -> FileResponse:
    """An XLSX download of `rows` (an iterator) under a bold header, with an optional bold total."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    for index, width in enumerate(column_widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([_xlsx_cell(sheet, value, bold=True) for value in header])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    if total is not None:
        sheet.append([_xlsx_cell(sheet, value, bold=True) for value in total])
    # Deleted when closed; FileResponse closes it once the download is sent.
    spool = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response closes it
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )
