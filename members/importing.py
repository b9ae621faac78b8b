"""Reading a member file (CSV or XLSX) into rows, and checking each row before anything is written.

A row whose number is a member's already updates that member (what changes is listed), any other
creates one: so the export, edited or not, imports back, and unchanged it changes nothing.

`parse_member_file` and `validate_rows` are pure: they read no database, so the import page can
show a preview of every row with its errors and changes, and check the same rows again when the
admin confirms. `import_lookups_load` is the one read of the database they need, in a few queries.
The rows are written by `members.import_writing.members_import`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from clicktodial_portal.phones import InvalidPhoneNumber, phone_number_normalize
from clicktodial_portal.tables import (
    TableFormat,
    TableInvalid,
    TableRow,
    is_spreadsheet,
    table_read,
)
from members.models import Department, Member

# The header of an import file, which is also the header of an export (so an export re-imports).
# An export writes the headers in its reader's language, the status in words and, beside it, as
# its code (`status_code`, which wins on import): read back whatever the importer's language.
MEMBER_TABLE = TableFormat(
    columns=(
        "name",
        "phone_number",
        "department",
        "status",
        "status_code",
        "minutes_cap",
        "username",
    ),
    required=("name", "phone_number", "department"),
    max_rows=5000,
    max_bytes=5 * 1024 * 1024,
    too_many_rows=gettext_lazy(
        "The file has more than %(max)s members. Split it into files of at most %(max)s rows."
    ),
    no_rows=gettext_lazy("The file has a header but no members under it."),
    headers={
        "name": gettext_lazy("Name"),
        "phone_number": gettext_lazy("Member number"),
        "department": gettext_lazy("Department"),
        "status": gettext_lazy("Status"),
        "status_code": gettext_lazy("Status code"),
        "minutes_cap": gettext_lazy("Minutes cap"),
        "username": gettext_lazy("Portal user"),
    },
)
# What a row may change of a member it names by number, as the preview names them.
UPDATABLE_COLUMNS = ("name", "department", "status", "minutes_cap", "username")
_COLUMN_LABELS = {
    "name": gettext_lazy("Name"),
    "department": gettext_lazy("Department"),
    "status": gettext_lazy("Status"),
    "minutes_cap": gettext_lazy("Cap"),
    "username": gettext_lazy("Portal user"),
}


@dataclass(frozen=True)
class ImportRow:
    """One member row of a file, as text. `line` is the row's number in the file (header is 1).

    After `validate_rows`, the values are normalised (E.164 number, the department's own name,
    status value) and `errors` maps a column to what is wrong with it.
    """

    line: int
    name: str
    phone_number: str
    department: str = ""
    status: str = ""
    minutes_cap: str = ""
    username: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    # The status in words where the file also has its code and the two name different statuses
    # (one was edited, the other not): which one was meant is not guessed.
    status_words_disagreeing: str = ""
    # The optional columns the file does not have: for a member it updates, left as they are.
    absent: list[str] = field(default_factory=list)
    # After `validate_rows`: the member whose number it is (None: a new member), and which of
    # UPDATABLE_COLUMNS change for that member.
    member_id: int | None = None
    changes: list[str] = field(default_factory=list)

    @property
    def is_new(self) -> bool:
        return self.member_id is None

    @property
    def is_unchanged(self) -> bool:
        return self.member_id is not None and not self.changes

    @property
    def status_label(self) -> str:
        """The status in words, once validated (as the file had it while it is not a status)."""
        if self.status in Member.Status.values:
            return str(Member.Status(self.status).label)
        return self.status

    def change_summary(self) -> str:
        """What importing the row does, in words: a new member, no change, or what it updates."""
        if self.is_new:
            return _("New member")
        if not self.changes:
            return _("No change")
        # Translators: the separator of a list of column names ("Name, Status").
        separator = pgettext("list separator", ", ")
        columns = separator.join(str(_COLUMN_LABELS[column]) for column in self.changes)
        return _("Updates %(columns)s") % {"columns": columns}

    def as_dict(self) -> dict[str, Any]:
        """For the session, between the preview and the import."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportRow:
        return cls(**data)


@dataclass(frozen=True)
class ImportLookups:
    """What validation needs to know about the database."""

    # The names of all departments.
    departments: frozenset[str] = frozenset()
    # E.164 number → the member who has it, as a row would write it.
    members: dict[str, ExistingMember] = field(default_factory=dict)
    # Usernames that exist → the member number already linked to that user, or "".
    users: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ExistingMember:
    """A member that a row names by its number, in the row's terms (as an export writes it)."""

    id: int
    name: str
    department: str = ""
    status: str = Member.Status.ACTIVE
    minutes_cap: str = ""
    username: str = ""


# Parsing


def parse_member_file(name: str, data: bytes) -> list[ImportRow]:
    """The member rows of a CSV (UTF-8, with or without BOM) or XLSX (first sheet) file.

    Raises TableInvalid when the file cannot be read, is too big, or its header is wrong.
    """
    if not name.lower().endswith((".csv", ".txt", ".xlsx", ".xls")) and not is_spreadsheet(
        name, data
    ):
        raise TableInvalid(_("Upload a .csv or .xlsx file."))
    return [_status_merged(row) for row in table_read(name, data, MEMBER_TABLE)]


def _status_merged(row: TableRow) -> ImportRow:
    """The row with one status: its code where the file has one (an export's), else its words.

    Words beside the code that name another status are kept aside, for `validate_rows` to refuse
    the row: a person edits the words, a program the code, and either may have been left as it was.
    """
    values = dict(row.values)
    code = values.pop("status_code")
    absent = [column for column in row.absent if column != "status_code"]
    disagreeing = ""
    if code:
        words = values.get("status", "")
        named = _statuses_named().get(words.casefold()) if words else None
        if named is not None and named != _statuses_named().get(code.casefold(), code):
            disagreeing = words
        values["status"] = code
        absent = [column for column in absent if column != "status"]
    return ImportRow(line=row.line, absent=absent, status_words_disagreeing=disagreeing, **values)


# Validation


def import_lookups_load(rows: Sequence[ImportRow]) -> ImportLookups:
    """Read what `validate_rows` needs: departments, and the numbers and users the rows name."""
    numbers = set()
    for row in rows:
        try:
            numbers.add(phone_number_normalize(row.phone_number))
        except InvalidPhoneNumber:
            continue
    existing = {
        member.phone_number: ExistingMember(
            id=member.pk,
            name=member.name,
            department=member.department.name if member.department else "",
            status=member.status,
            minutes_cap="" if member.minutes_cap is None else str(member.minutes_cap),
            username=member.user.get_username() if member.user else "",
        )
        for member in Member.objects.filter(phone_number__in=numbers).select_related(
            "department", "user"
        )
    }
    usernames = {row.username for row in rows if row.username}
    users = dict.fromkeys(
        get_user_model().objects.filter(username__in=usernames).values_list("username", flat=True),
        "",
    )
    linked = Member.objects.filter(user__username__in=users).values_list(
        "user__username", "phone_number"
    )
    users.update(linked)
    departments = frozenset(Department.objects.values_list("name", flat=True))
    return ImportLookups(departments=departments, members=existing, users=users)


def validate_rows(rows: Sequence[ImportRow], *, lookups: ImportLookups) -> list[ImportRow]:
    """The rows with their values normalised and each problem recorded in `errors`.

    Checks: a name, a valid number that no earlier row has, a department that exists (or none), a
    known status, a whole number of minutes for the cap, and a portal user who exists and has no
    other member number. A number that is a member's makes the row an update of that member: an
    empty status or username, or an optional column the file lacks, leaves that field as it is.
    """
    departments_by_key = {name.casefold(): name for name in lookups.departments}
    statuses = _statuses_named()
    number_rows: dict[str, int] = {}
    username_rows: dict[str, int] = {}
    checked = []
    for row in rows:
        errors: dict[str, str] = {}
        values: dict[str, str] = {}

        if not row.name:
            errors["name"] = _("The name is missing.")
        elif len(row.name) > (longest := Member._meta.get_field("name").max_length):
            errors["name"] = _("The name is longer than %(max)s characters.") % {"max": longest}

        if not row.phone_number:
            errors["phone_number"] = _("The number is missing.")
        else:
            try:
                number = phone_number_normalize(row.phone_number)
            except InvalidPhoneNumber as exc:
                errors["phone_number"] = str(exc)
            else:
                values["phone_number"] = number
                if number in number_rows:
                    errors["phone_number"] = _("%(number)s is also on row %(line)s.") % {
                        "number": number,
                        "line": number_rows[number],
                    }
                else:
                    number_rows[number] = row.line

        if row.department:
            department = (
                row.department
                if row.department in lookups.departments
                else departments_by_key.get(row.department.casefold())
            )
            if department is None:
                errors["department"] = _(
                    "There is no department called “%(name)s”. "
                    "Add it under Departments first, or correct the name."
                ) % {"name": row.department}
            else:
                values["department"] = department

        status = statuses.get(row.status.casefold()) if row.status else Member.Status.ACTIVE
        if row.status_words_disagreeing:
            errors["status"] = _(
                "The status “%(words)s” and the status code “%(code)s” disagree: "
                "correct one of them."
            ) % {"words": row.status_words_disagreeing, "code": row.status}
        elif status is None:
            errors["status"] = _("The status “%(status)s” is not one of %(statuses)s.") % {
                "status": row.status,
                "statuses": ", ".join(Member.Status.values),
            }
        else:
            values["status"] = status

        if row.minutes_cap:
            if row.minutes_cap.isdigit():
                values["minutes_cap"] = str(int(row.minutes_cap))
            else:
                errors["minutes_cap"] = _(
                    "The minutes cap “%(cap)s” is not a whole number of minutes "
                    "(0 or more). Leave it empty for no cap."
                ) % {"cap": row.minutes_cap}

        existing = lookups.members.get(values.get("phone_number", ""))
        if existing is not None:
            values.update(_kept_for_update(row, existing))

        if row.username and not (existing and row.username == existing.username):
            if row.username not in lookups.users:
                errors["username"] = _("There is no portal user “%(username)s”.") % {
                    "username": row.username
                }
            elif lookups.users[row.username]:
                errors["username"] = _(
                    "The user %(username)s already has member number %(number)s."
                ) % {"username": row.username, "number": lookups.users[row.username]}
            elif row.username in username_rows:
                errors["username"] = _("The user %(username)s is also on row %(line)s.") % {
                    "username": row.username,
                    "line": username_rows[row.username],
                }
            else:
                username_rows[row.username] = row.line

        checked_row = dataclasses.replace(row, **values, errors=errors)
        if existing is not None:
            checked_row = dataclasses.replace(
                checked_row, member_id=existing.id, changes=_changes(checked_row, existing)
            )
        checked.append(checked_row)
    return checked


def _statuses_named() -> dict[str, str]:
    """Each way a file may name a status (casefolded) → the status: its code, and its words in
    every language of the portal (a file exported in Chinese imports in an English session)."""
    statuses = {value: value for value in Member.Status.values}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            statuses |= {str(label).casefold(): value for value, label in Member.Status.choices}
    return statuses


def _kept_for_update(row: ImportRow, existing: ExistingMember) -> dict[str, str]:
    """What a row leaves of the member it updates: a column the file lacks, an empty status or
    username (unlinking a user, or a status, is done on the member's page, not by a blank)."""
    kept = {column: getattr(existing, column) for column in row.absent}
    if not row.status:
        kept["status"] = existing.status
    if not row.username:
        kept["username"] = existing.username
    return kept


def _changes(row: ImportRow, existing: ExistingMember) -> list[str]:
    return [
        column for column in UPDATABLE_COLUMNS if getattr(row, column) != getattr(existing, column)
    ]
