"""Masking of phone numbers for people who may see usage but not whom the enterprise calls.

Finance users see every number on the report pages and exports masked; admins see them whole.
Here, in the project package, because the call pages, the recordings list and the reports all
apply the one rule, and no app may import another's for it (recordings does not import members).
"""

from __future__ import annotations

from collections.abc import Callable

import phonenumbers
from django.contrib.auth.models import AbstractBaseUser

MASK = "*"
# An 11-digit Chinese mobile keeps 3 + 4 digits and hides 4; shorter numbers keep less, so that
# at least MIN_HIDDEN digits are always hidden.
KEEP_HEAD = 3
KEEP_TAIL = 4
MIN_HIDDEN = 4


def mask_number(number: str) -> str:
    """A phone number with its middle digits replaced by ``*``, one star per hidden digit.

    The format, one for every number:

    - E.164 numbers show the country code, a space, then the national significant number with
      only its first 3 and last 4 digits kept: ``+8613812345678`` → ``+86 138****5678``.
    - At least 4 digits are always hidden; a shorter number keeps fewer leading digits:
      ``+861052680000`` (a Beijing landline, 10 national digits) → ``+86 10****0000``.
    - Anything else (national digits, or text that does not parse as E.164) is masked the same
      way on its digits alone: ``13812345678`` → ``138****5678``.
    - Numbers of 4 digits or fewer are all stars.
    - An empty value stays empty.
    """
    text = (number or "").strip()
    if not text:
        return ""
    if text.startswith("+"):
        try:
            parsed = phonenumbers.parse(text, None)
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is not None:
            national = phonenumbers.national_significant_number(parsed)
            return f"+{parsed.country_code} {_mask_digits(national)}"
    return _mask_digits("".join(ch for ch in text if ch.isdigit()))


def _mask_digits(digits: str) -> str:
    hidden = max(MIN_HIDDEN, len(digits) - KEEP_HEAD - KEEP_TAIL)
    if hidden >= len(digits):
        return MASK * len(digits)
    kept = len(digits) - hidden
    tail = min(KEEP_TAIL, kept)
    head = kept - tail
    return digits[:head] + MASK * hidden + digits[len(digits) - tail :]


def masks_numbers(user: AbstractBaseUser) -> bool:
    """Everyone but admins sees numbers masked on the report pages and exports."""
    return not user.is_staff


def number_display_for(user: AbstractBaseUser) -> Callable[[str], str]:
    """How this user sees phone numbers: masked, or whole for admins."""
    if masks_numbers(user):
        return mask_number
    return _whole


def _whole(number: str) -> str:
    return number or ""
