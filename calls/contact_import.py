"""Reading a contacts file (CSV, XLSX or vCard) into rows, and checking each row before writing.

`parse_contact_file` and `validate_contact_rows` read no database, so the import page can show a
preview of every row with its errors and check the same rows again when the user confirms.
`contact_numbers_taken` is the one read they need; `calls.services.contacts.contacts_import`
writes them.
"""

from __future__ import annotations

import dataclasses
import quopri
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from calls.models import Contact
from clicktodial_portal.phones import InvalidPhoneNumber, phone_number_normalize
from clicktodial_portal.tables import (
    TableFormat,
    TableInvalid,
    is_spreadsheet,
    size_check,
    table_read,
)

# A machine format: the header's names stay in English whatever the language of the page.
CONTACT_TABLE = TableFormat(
    columns=("name", "phone_number", "company", "notes"),
    required=("name", "phone_number"),
    max_rows=2000,
    max_bytes=2 * 1024 * 1024,
    too_many_rows=gettext_lazy(
        "The file has more than %(max)s contacts. Split it into smaller files."
    ),
    no_rows=gettext_lazy("The file has no contacts in it."),
)


@dataclass(frozen=True)
class ContactImportRow:
    """One contact of a file. `line` is its row (CSV, header is 1) or card number (vCard).

    After `validate_contact_rows` the number is E.164 and `errors` maps a column to its problem.
    """

    line: int
    name: str
    phone_number: str
    company: str = ""
    notes: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """For the session, between the preview and the import."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ContactImportRow:
        return cls(**data)


def parse_contact_file(name: str, data: bytes) -> list[ContactImportRow]:
    """The contacts of a CSV or XLSX file (header name,phone_number,company,notes: see
    clicktodial_portal.tables) or of a vCard 3.0/4.0 file. Raises TableInvalid."""
    size_check(len(data), CONTACT_TABLE)
    lowered = name.lower()
    if lowered.endswith((".vcf", ".vcard")) or (
        not is_spreadsheet(name, data) and data.lstrip()[:11].upper() == b"BEGIN:VCARD"
    ):
        rows = _vcard_rows(_vcard_text(data))
    elif lowered.endswith((".csv", ".txt", ".xlsx", ".xls")) or is_spreadsheet(name, data):
        rows = [
            ContactImportRow(line=row.line, **row.values)
            for row in table_read(name, data, CONTACT_TABLE)
        ]
    else:
        raise TableInvalid(_("Upload a .csv, .xlsx or .vcf file."))
    if not rows:
        raise TableInvalid(str(CONTACT_TABLE.no_rows))
    if len(rows) > CONTACT_TABLE.max_rows:
        raise TableInvalid(CONTACT_TABLE.too_many_rows % {"max": f"{CONTACT_TABLE.max_rows:,}"})
    return rows


def _vcard_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableInvalid(_("The vCard file is not UTF-8. Export it again as UTF-8.")) from exc


# vCard


def _unfold(text: str) -> list[str]:
    """Content lines: a line starting with a space or tab continues the one before (RFC 6350),
    and a quoted-printable value ending in "=" continues on the next line (vCard 2.1 habit)."""
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        elif lines and lines[-1].endswith("=") and "QUOTED-PRINTABLE" in lines[-1].upper():
            lines[-1] = lines[-1][:-1] + raw
        else:
            lines.append(raw)
    return lines


def _unescape(value: str) -> str:
    return re.sub(r"\\([\\,;nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _property(line: str) -> tuple[str, dict[str, list[str]], str] | None:
    """NAME, {PARAM: [values]}, value of a content line (a group prefix like item1. is dropped)."""
    if ":" not in line:
        return None
    head, value = line.split(":", 1)
    name, *params = head.split(";")
    name = name.rsplit(".", 1)[-1].upper()
    parsed: dict[str, list[str]] = {}
    for param in params:
        key, _, values = param.partition("=")
        if not values:  # vCard 2.1: TEL;CELL:…
            key, values = "TYPE", key
        parsed.setdefault(key.upper(), []).extend(
            v.strip('"').lower() for v in values.split(",") if v
        )
    if "quoted-printable" in parsed.get("ENCODING", []):
        charset = (parsed.get("CHARSET") or ["utf-8"])[0]
        try:
            value = quopri.decodestring(value.encode()).decode(charset, errors="replace")
        except LookupError:
            value = quopri.decodestring(value.encode()).decode("utf-8", errors="replace")
    return name, parsed, value


def _vcard_rows(text: str) -> list[ContactImportRow]:
    rows: list[ContactImportRow] = []
    card: dict[str, Any] | None = None
    number = 0
    for line in _unfold(text):
        parsed = _property(line.strip()) if line.strip() else None
        if parsed is None:
            continue
        name, params, value = parsed
        if name == "BEGIN" and value.strip().upper() == "VCARD":
            number += 1
            card = {"fn": "", "n": "", "org": "", "note": "", "tels": []}
        elif card is None:
            continue
        elif name == "END" and value.strip().upper() == "VCARD":
            rows.extend(_card_rows(number, card))
            card = None
        elif name == "FN":
            card["fn"] = _unescape(value).strip()
        elif name == "N":
            card["n"] = " ".join(p for p in reversed(_unescape(value).split(";")[:2]) if p)
        elif name == "ORG":
            card["org"] = "; ".join(p for p in _unescape(value).split(";") if p).strip()
        elif name == "NOTE":
            card["note"] = _unescape(value).strip()
        elif name == "TEL":
            tel = value.strip()
            if tel.lower().startswith("tel:"):  # vCard 4.0: TEL;VALUE=uri:tel:+86…
                tel = tel[4:]
            types = [t for t in params.get("TYPE", []) if t not in ("pref", "voice")]
            card["tels"].append((tel, types[0] if types else ""))
    return rows


def _card_rows(number: int, card: dict[str, Any]) -> Iterable[ContactImportRow]:
    name = card["fn"] or card["n"]
    tels = card["tels"] or [("", "")]
    for tel, kind in tels:
        suffix = f" ({kind})" if len(tels) > 1 and kind else ""
        yield ContactImportRow(
            line=number,
            name=f"{name}{suffix}" if name else "",
            phone_number=tel,
            company=card["org"],
            notes=card["note"],
        )


# Validation


def contact_numbers_taken(
    *, owner: AbstractBaseUser, shared: bool, rows: Sequence[ContactImportRow]
) -> dict[str, str]:
    """E.164 number → contact name, for the rows' numbers that the target list already has."""
    numbers = set()
    for row in rows:
        try:
            numbers.add(phone_number_normalize(row.phone_number))
        except InvalidPhoneNumber:
            continue
    contacts = Contact.objects.filter(phone_number__in=numbers)
    contacts = contacts.filter(owner__isnull=True) if shared else contacts.filter(owner=owner)
    return dict(contacts.values_list("phone_number", "name"))


def validate_contact_rows(
    rows: Sequence[ContactImportRow], *, taken: dict[str, str]
) -> list[ContactImportRow]:
    """The rows with E.164 numbers and each problem in `errors`: a missing or too long name, a
    number that is not valid, is already a contact, or is on an earlier row."""
    max_name = Contact._meta.get_field("name").max_length
    max_company = Contact._meta.get_field("company").max_length
    seen: dict[str, int] = {}
    checked = []
    for row in rows:
        errors: dict[str, str] = {}
        values: dict[str, str] = {}
        if not row.name:
            errors["name"] = _("The name is missing.")
        elif len(row.name) > max_name:
            errors["name"] = _("The name is longer than %(max)d characters.") % {"max": max_name}
        if len(row.company) > max_company:
            errors["company"] = _("The company is longer than %(max)d characters.") % {
                "max": max_company
            }
        if not row.phone_number:
            errors["phone_number"] = _("The number is missing.")
        else:
            try:
                number = phone_number_normalize(row.phone_number)
            except InvalidPhoneNumber as exc:
                errors["phone_number"] = str(exc)
            else:
                values["phone_number"] = number
                if number in taken:
                    errors["phone_number"] = _("%(number)s is already the contact %(name)s.") % {
                        "number": number,
                        "name": taken[number],
                    }
                elif number in seen:
                    errors["phone_number"] = _("%(number)s is also on row %(row)d.") % {
                        "number": number,
                        "row": seen[number],
                    }
                else:
                    seen[number] = row.line
        checked.append(dataclasses.replace(row, **values, errors=errors))
    return checked
