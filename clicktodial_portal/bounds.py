"""What the portal accepts at its edge, in query strings and paths: days within the supported
calendar and ids a database integer column can hold. One place, used by every form, serializer
and URL, so that a value past the ends is refused where it comes in (400, or 404 for an id no row
can have) and never reaches a date sum or a database bind that overflows (a 500, or an export
that breaks off after its first byte).

Importing this module registers the `<id:…>` path converter."""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.urls import register_converter
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from rest_framework import serializers

# The days a filter may name. Wide enough for any call the portal will hold, narrow enough that
# the day after the last one, a local midnight and its UTC offset stay within `date`'s years.
DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2100, 12, 31)

# The largest id a BigAutoField (a signed 64-bit column) holds; SQLite and PostgreSQL both fail on
# a larger value bound to a query instead of finding nothing.
ID_MAX = 2**63 - 1

# The OpenAPI schema of a date query parameter: the pattern states the range to clients and to
# Schemathesis (strings have no minimum), the description to people.
DATE_PARAMETER_SCHEMA = {
    "type": "string",
    "format": "date",
    "pattern": r"^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$",
}
DATE_RANGE_TEXT = f"{DATE_MIN.isoformat()} to {DATE_MAX.isoformat()}"
# An id in a query string (a filter): what a row's id can be. (Path ids: settings'
# SPECTACULAR_SETTINGS["PATH_CONVERTER_OVERRIDES"], for the `<id:…>` converter below.)
ID_PARAMETER_SCHEMA = {"type": "integer", "minimum": 1, "maximum": ID_MAX}


def date_out_of_range_message() -> str:
    return _("Enter a day from %(first)s to %(last)s.") % {
        "first": date_format(DATE_MIN, "DATE_FORMAT"),
        "last": date_format(DATE_MAX, "DATE_FORMAT"),
    }


def date_range_check(day: date | None) -> None:
    """Raise Django's ValidationError when `day` is outside DATE_MIN..DATE_MAX."""
    if day is not None and not DATE_MIN <= day <= DATE_MAX:
        raise ValidationError(date_out_of_range_message(), code="date_out_of_range")


def id_parse(text: str) -> int | None:
    """`text` as an id a row can have (ASCII digits, 1..ID_MAX), else None: for the lists whose
    filters leave out what makes no sense. (`str.isdigit` also accepts "²", which int() refuses.)"""
    if not text.isascii() or not text.isdigit() or len(text) > len(str(ID_MAX)):
        return None
    value = int(text)
    return value if 1 <= value <= ID_MAX else None


class BoundedDateField(forms.DateField):
    """A form's date, YYYY-MM-DD, within DATE_MIN..DATE_MAX."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)
        self.validators.append(date_range_check)


class BoundedIdField(forms.IntegerField):
    """A form's id, within what a database integer column holds."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(**kwargs)


class BoundedDateSerializerField(serializers.DateField):
    """An API date, YYYY-MM-DD, within DATE_MIN..DATE_MAX."""

    def to_internal_value(self, value: object) -> date:
        day = super().to_internal_value(value)
        if not DATE_MIN <= day <= DATE_MAX:
            raise serializers.ValidationError(date_out_of_range_message(), code="out_of_range")
        return day


class IdConverter:
    """`<id:pk>`: an id a row can have, 1..ID_MAX; any other number does not match (404), where
    `<int:pk>` would hand 10^20 to the database."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= ID_MAX:
            raise ValueError(value)
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")
