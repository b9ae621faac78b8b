"""Phone numbers as the portal keeps them: E.164, a number typed without a country code read as
one of PHONE_DEFAULT_REGION's."""

import re
from dataclasses import dataclass
from functools import reduce
from operator import or_
from urllib.parse import unquote

from django.conf import settings
from django.db.models import Q

from operator_api import InvalidPhoneNumber, normalize_number

__all__ = [
    "DialedNumber",
    "InvalidPhoneNumber",
    "SearchedNumber",
    "dialed_number",
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


# A link's scheme: tel: (RFC 3966), and callto:, which older CRMs and Skype wrote.
_LINK_SCHEME = re.compile(r"^(?:tel|callto):(?://)?", re.IGNORECASE)
# An extension's digits, without the visual separators RFC 3966 allows in it.
_NOT_EXTENSION = re.compile(r"[^\d*#]")


@dataclass(frozen=True)
class DialedNumber:
    """A number as a link hands it over: the number to ring, in E.164, and an extension to ask
    for once someone answers (the operator rings numbers, it cannot dial an extension)."""

    e164: str
    extension: str = ""


def dialed_number(text: str) -> DialedNumber:
    """`text` as a link gives it — a number as a person types it, or a tel: URI as a browser hands
    one to its handler (percent-escaped, with visual separators, `;ext=…`, and a local number's
    `;phone-context=+…`) — in E.164. Raises InvalidPhoneNumber quoting the text as given."""
    raw = text.strip()
    number, *parameters = unquote(_LINK_SCHEME.sub("", raw, count=1)).split(";")
    extension = ""
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        name = name.strip().lower()
        if name == "ext":
            extension = _NOT_EXTENSION.sub("", value)
        elif name == "phone-context" and value.startswith("+") and not number.startswith("+"):
            # A local number in a context of global digits: the number is those digits, then its.
            number = value + number
    try:
        return DialedNumber(phone_number_normalize(number), extension)
    except InvalidPhoneNumber:
        raise InvalidPhoneNumber(raw=raw) from None
