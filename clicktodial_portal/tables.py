"""Reading an uploaded table (CSV or XLSX) into rows named by its header.

One reader for every import (contacts, members): each names its columns and limits as data
(`TableFormat`) and checks the rows' values itself. A cell an export guarded against being run as a
formula (clicktodial_portal.exports.spreadsheet_safe) comes back as it was, so an export imports
back unchanged.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from clicktodial_portal.exports import formula_unguarded
from clicktodial_portal.request_body import body_length_unknown, body_refused


@dataclass(frozen=True)
class TableFormat:
    """What an import reads: its header's names (as an export writes them), which are required,
    and how much it takes, with the words for a file over the limit and one with no rows (lazily
    translated, with `%(max)s` for the row limit)."""

    columns: tuple[str, ...]
    required: tuple[str, ...]
    max_rows: int
    max_bytes: int
    too_many_rows: str | Promise
    no_rows: str | Promise
    # A column's header in words (lazily translated), as an export in a reader's language writes
    # it: read back as that column in any of the portal's languages, whoever imports the file.
    headers: Mapping[str, str | Promise] = field(default_factory=dict)

    @property
    def upload_max_bytes(self) -> int:
        """The largest request that may carry a file within `max_bytes`: the file, and the form
        around it (fields, boundaries, the part's headers) with room to spare."""
        return self.max_bytes + 64 * 1024

    def header_words(self) -> list[str]:
        """The columns' headers in the active language (the code where there are no words)."""
        return [str(self.headers.get(column, column)) for column in self.columns]

    def column_named(self) -> dict[str, str]:
        """Each name a header cell may give a column (casefolded) → the column: its code, and
        its words in every language of the portal."""
        names = {column.casefold(): column for column in self.columns}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                for column, words in self.headers.items():
                    names.setdefault(str(words).casefold(), column)
        return names


class TableInvalid(Exception):
    """The file as a whole cannot be read; `message` says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class TableRow:
    """One row under the header: `line` is its row in the file (the header's is 1 when first),
    `values` every column of the format ("" where the header left it out, listed in `absent`)."""

    line: int
    values: dict[str, str]
    absent: tuple[str, ...]


def size_check(size: int, form: TableFormat) -> None:
    """Refuse a file of `size` bytes over the format's limit (an upload's size, before reading)."""
    if size > form.max_bytes:
        raise TableInvalid(size_refusal(size, form))


def upload_refusal(request: HttpRequest, form: TableFormat) -> str | None:
    """What an import's file refused unread for its size (clicktodial_portal.request_body) is
    told; None when the request's body was not refused."""
    refused = body_refused(request)
    if refused is None:
        return None
    return size_refusal(refused, form, size_known=not body_length_unknown(request))


def size_refusal(size: int, form: TableFormat, *, size_known: bool = True) -> str:
    """What a file (or a request carrying one) of `size` bytes over the limit is told; when the
    size is not known (a body sent without its length, read only up to the limit), only that it
    is over."""
    if not size_known:
        return _("The file is over the limit of %(limit)s MB. Split it into smaller files.") % {
            "limit": form.max_bytes // 1024 // 1024
        }
    return _(
        "The file is %(size).1f MB; the limit is %(limit)s MB. Split it into smaller files."
    ) % {"size": size / 1024 / 1024, "limit": form.max_bytes // 1024 // 1024}


def is_spreadsheet(name: str, data: bytes) -> bool:
    """An .xlsx workbook, by its name or, unnamed, by its zip signature."""
    lowered = name.lower()
    return lowered.endswith(".xlsx") or (
        not lowered.endswith((".csv", ".txt")) and data[:4] == b"PK\x03\x04"
    )


def table_read(name: str, data: bytes, form: TableFormat) -> list[TableRow]:
    """The rows of a CSV (UTF-8, with or without BOM, `,` or `;`) or XLSX (first sheet) file.

    Raises TableInvalid when the file cannot be read, is too big, or its header is wrong.
    """
    size_check(len(data), form)
    lowered = name.lower()
    if lowered.endswith(".xls"):
        raise TableInvalid(
            _("Old Excel files (.xls) cannot be read. Save the sheet as .xlsx or CSV UTF-8.")
        )
    if is_spreadsheet(name, data):
        return rows_read(_xlsx_cells(data), form)
    return rows_read(csv_cells(text_decoded(data)), form)


def text_decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableInvalid(
            _(
                "The CSV file is not UTF-8. In Excel choose “Save as: CSV UTF-8”, "
                "then upload it again."
            )
        ) from exc


def csv_cells(text: str) -> Iterator[list[str]]:
    first_line = text.split("\n", 1)[0]
    # Excel writes ";" in locales whose decimal point is a comma.
    delimiter = "," if "," in first_line else ";" if ";" in first_line else ","
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as exc:
        # Mostly a quote never closed, which swallows the rest of the file into one cell until
        # the reader's cell limit (128 KiB): the file's fault, not the portal's.
        raise TableInvalid(
            _(
                'The CSV file could not be read: a quote (") is never closed, or a cell is too '
                "long. Check the file, then upload it again."
            )
        ) from exc


def _xlsx_cells(data: bytes) -> Iterator[list[str]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise TableInvalid(
            _(
                "The file is not a readable .xlsx workbook. Save it again from Excel as .xlsx, "
                "or as CSV UTF-8."
            )
        ) from exc
    try:
        if not workbook.worksheets:
            return
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            yield [_cell_text(value) for value in values]
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    # A number typed into a spreadsheet comes back as 8613912345673.0 or 60.0.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _clean(text: str) -> str:
    return formula_unguarded(text.strip())


def rows_read(table: Iterable[Sequence[str]], form: TableFormat) -> list[TableRow]:
    """The header (the first row with anything in it), checked against the format, then every
    row under it that is not empty."""
    lines = iter(enumerate(table, start=1))
    header: list[str] = []
    for _line, cells in lines:
        header = [_clean(cell).lower() for cell in cells]
        if any(header):
            break
    while header and not header[-1]:
        header.pop()
    if not header:
        raise TableInvalid(
            _("The file is empty. The first row must be the header: %(columns)s.")
            % {"columns": ", ".join(form.columns)}
        )
    if form.headers:
        named = form.column_named()
        header = [named.get(cell.casefold(), cell) for cell in header]
    _header_check(header, form)
    absent = tuple(column for column in form.columns if column not in header)
    rows: list[TableRow] = []
    for line, cells in lines:
        values = [_clean(cell) for cell in cells]
        if not any(values):
            continue
        if len(rows) == form.max_rows:
            raise TableInvalid(form.too_many_rows % {"max": f"{form.max_rows:,}"})
        by_column = dict(zip(header, values, strict=False))
        rows.append(TableRow(line, {c: by_column.get(c, "") for c in form.columns}, absent))
    if not rows:
        raise TableInvalid(str(form.no_rows))
    return rows


def _header_check(header: list[str], form: TableFormat) -> None:
    missing = [column for column in form.required if column not in header]
    unknown = [column for column in header if column not in form.columns]
    twice = len(set(header)) != len(header)
    if not (missing or unknown or twice):
        return
    problems = []
    if missing:
        # Translators: part of "The header row has …": the required columns it lacks.
        problems.append(_("missing %(columns)s") % {"columns": ", ".join(missing)})
    if unknown:
        # Translators: part of "The header row has …": columns that are not import columns.
        problems.append(_("unknown %(columns)s") % {"columns": ", ".join(repr(c) for c in unknown)})
    if twice:
        # Translators: part of "The header row has …".
        problems.append(_("a column named twice"))
    raise TableInvalid(
        _(
            "The header row has %(problems)s. It must be: %(required)s, optionally "
            "followed by %(optional)s."
        )
        % {
            "problems": "; ".join(problems),
            "required": ", ".join(form.required),
            "optional": ", ".join(c for c in form.columns if c not in form.required),
        }
    )
