"""Phone numbers as the portal keeps them: E.164, a number typed without a country code read as
one of PHONE_DEFAULT_REGION's."""

import re
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.conf import settings
from django.db.models import Q

from operator_api import InvalidPhoneNumber, normalize_number

__all__ = [
    "InvalidPhoneNumber",
    "SearchedNumber",
    "looks_like_a_number",
    "phone_number_normalize",
    "searched_number",
]

# What people type when they search by number: digits, spaces, brackets, dots, dashes, a leading +.
_TYPED_NUMBER = re.compile(r"\+?[\d\s().-]+")


def phone_number_normalize(raw: object) -> str:
    """`raw` as typed (national or international; spaces, dashes and brackets allowed) in E.164.
    Raises InvalidPhoneNumber, whose message says what is wrong, for the person who typed it."""
    return normalize_number(str(raw), default_region=settings.PHONE_DEFAULT_REGION)


def looks_like_a_number(text: str) -> bool:
    """Whether a search is for a number (then matched on its digits) rather than a name."""
    return bool(_TYPED_NUMBER.fullmatch(text))


@dataclass(frozen=True)
class SearchedNumber:
    """What a search typed as a number looks for: a whole number (`e164`), or else part of one,
    its `digits` as they appear in E.164 (a mobile's national digits do)."""

    e164: str | None
    digits: str

    def matching(self, *fields: str) -> Q:
        """Rows with the number in any of `fields`: the whole number equal, or the part in it."""
        if self.e164:
            lookups = [Q(**{field: self.e164}) for field in fields]
        else:
            lookups = [Q(**{f"{field}__contains": self.digits}) for field in fields]
        return reduce(or_, lookups)


def searched_number(text: str) -> SearchedNumber | None:
    """`text` read as a number search, or None when it is not one (a name, or under 3 digits)."""
    if not looks_like_a_number(text):
        return None
    digits = re.sub(r"\D", "", text)
    if len(digits) < 3:
        return None
    try:
        return SearchedNumber(phone_number_normalize(text), digits)
    except InvalidPhoneNumber:
        return SearchedNumber(None, digits)
