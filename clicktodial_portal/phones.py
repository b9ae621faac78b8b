"""Phone numbers as the portal keeps them: E.164, a number typed without a country code read as
one of PHONE_DEFAULT_REGION's."""

import re

from django.conf import settings

from operator_api import InvalidPhoneNumber, normalize_number

__all__ = ["InvalidPhoneNumber", "looks_like_a_number", "phone_number_normalize"]

# What people type when they search by number: digits, spaces, brackets, dots, dashes, a leading +.
_TYPED_NUMBER = re.compile(r"\+?[\d\s().-]+")


def phone_number_normalize(raw: object) -> str:
    """`raw` as typed (national or international; spaces, dashes and brackets allowed) in E.164.
    Raises InvalidPhoneNumber, whose message says what is wrong, for the person who typed it."""
    return normalize_number(str(raw), default_region=settings.PHONE_DEFAULT_REGION)


def looks_like_a_number(text: str) -> bool:
    """Whether a search is for a number (then matched on its digits) rather than a name."""
    return bool(_TYPED_NUMBER.fullmatch(text))
