"""Phone numbers as the portal keeps them: E.164, a number typed without a country code read as
one of PHONE_DEFAULT_REGION's."""

from django.conf import settings

from operator_api import InvalidPhoneNumber, normalize_number

__all__ = ["InvalidPhoneNumber", "phone_number_normalize"]


def phone_number_normalize(raw: object) -> str:
    """`raw` as typed (national or international; spaces, dashes and brackets allowed) in E.164.
    Raises InvalidPhoneNumber, whose message says what is wrong, for the person who typed it."""
    return normalize_number(str(raw), default_region=settings.PHONE_DEFAULT_REGION)
