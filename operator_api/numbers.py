"""Phone numbers for the operator: normalise what people and the operator write to E.164,
and format E.164 the way the configured operator expects it on the wire.

The portal stores every number in E.164 (``+8613912345673``). People type national forms
(``139 1234 5673``, ``010-5268-0000``) and the operator itself writes bare digits with the
country code (``8613912345673``); all of them end up here.
"""

from __future__ import annotations

import re
from enum import StrEnum

import phonenumbers
from django.utils.translation import gettext_noop

__all__ = [
    "InvalidPhoneNumber",
    "NumberFormat",
    "format_for_operator",
    "normalize_number",
]

# Separators people and spreadsheets put inside numbers; they carry no meaning.
_SEPARATORS = re.compile(r"[\s\-().]")
_DIGITS = re.compile(r"\+?\d+")


_NOT_A_NUMBER = gettext_noop(
    "'%(raw)s' is not a phone number. Use international form, e.g. +8613912345673."
)


def _translated(message: str) -> str:
    """`message` in the active language, or as it is when Django is not set up: the package
    works without it."""
    from django.conf import settings

    if not settings.configured:
        return message
    from django.utils.translation import gettext

    return gettext(message)


class InvalidPhoneNumber(ValueError):
    """The text is not a valid phone number; the message says so in plain language.

    ``str(exc)`` is in the language active when it is read, ``args[0]`` in English.
    """

    def __init__(self, *, raw: object) -> None:
        self.raw = raw
        super().__init__(_NOT_A_NUMBER % {"raw": raw})

    def __str__(self) -> str:
        return _translated(_NOT_A_NUMBER) % {"raw": self.raw}


class NumberFormat(StrEnum):
    """How numbers are written in requests to the operator (``OPERATOR_NUMBER_FORMAT``)."""

    # E.164 without the plus, the seed's own examples: 8613912345673.
    DIGITS = "digits"
    # E.164 as the standard writes it: +8613912345673.
    E164 = "e164"
    # National digits with the trunk prefix, no spaces: 13912345673, 01052680000.
    NATIONAL = "national"


def _parse_valid(text: str, *, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def normalize_number(raw: str, *, default_region: str = "CN") -> str:
    """Return ``raw`` in E.164, or raise :class:`InvalidPhoneNumber`.

    Accepts E.164 (``+8613912345673``), national form for ``default_region``
    (``13912345673``, ``010 5268 0000``) and digits that start with a country code but lack
    the plus (``8613912345673``, as the operator writes them).
    """
    if not isinstance(raw, str):
        raise InvalidPhoneNumber(raw=raw)
    text = _SEPARATORS.sub("", raw)
    if not _DIGITS.fullmatch(text):
        raise InvalidPhoneNumber(raw=raw)

    if text.startswith("+"):
        number = _parse_valid(text, region=None)
    else:
        # National form first: a bare digit string typed by a person is most likely national.
        # Only when that is not a valid number do we read it as a country code without "+".
        number = _parse_valid(text, region=default_region) or _parse_valid("+" + text, region=None)
    if number is None:
        raise InvalidPhoneNumber(raw=raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_for_operator(e164: str, *, number_format: str) -> str:
    """Write an E.164 number the way the operator expects it (see :class:`NumberFormat`)."""
    try:
        wanted = NumberFormat(number_format)
    except ValueError:
        choices = ", ".join(f"'{choice}'" for choice in NumberFormat)
        raise ValueError(
            f"Unknown operator number format '{number_format}'; use one of {choices}."
        ) from None

    if not isinstance(e164, str) or not e164.startswith("+"):
        raise InvalidPhoneNumber(raw=e164)
    number = _parse_valid(e164, region=None)
    if number is None:
        raise InvalidPhoneNumber(raw=e164)

    if wanted is NumberFormat.E164:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if wanted is NumberFormat.DIGITS:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]
    # The national format carries the trunk prefix ("0" for Chinese landlines) with spaces;
    # the operator wants only the digits.
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return re.sub(r"\D", "", national)
