"""The position a keyset page link carries: (sort, the sort column's value, id), as a short
URL-safe token. Read from a URL, so anything may come back: what is not a cursor the pages made
is None (the first page), never an error."""

from __future__ import annotations

import json
from base64 import urlsafe_b64decode, urlsafe_b64encode

from django.db.models import Q

# Far longer than any cursor the pages make (a 200-character name and an id).
TOKEN_MAX_LENGTH = 1024
# What a database integer column holds.
_INTEGER_LIMIT = 2**63


def cursor_encode(sort: str, value: str | int, pk: int) -> str:
    raw = json.dumps([sort, value, pk], ensure_ascii=False)
    return urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_decode(token: str) -> tuple[str, str | int, int] | None:
    """The (sort, value, id) in `token`, or None when it is not a cursor: not base64 or JSON,
    nested too deep, too long, a value the database could not compare (a NUL character, an
    integer out of range), or an id that no row can have."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    try:
        raw = urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        sort, value, pk = json.loads(raw)
    except (ValueError, TypeError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(sort, str) or type(pk) is not int or not 0 < pk < _INTEGER_LIMIT:
        return None
    if isinstance(value, str) and "\x00" not in value:
        return sort, value, pk
    if type(value) is int and -_INTEGER_LIMIT < value < _INTEGER_LIMIT:
        return sort, value, pk
    return None


def rows_beyond(field: str, value: object, pk: int, lookup: str) -> Q:
    """The rows whose (field, id) is greater ("gt") or less ("lt") than (value, pk): a keyset
    page's bound.

    The plain bound on the field beside the OR is what lets the database seek: an OR is no index
    condition, so without it PostgreSQL walks the (field, id) index from the first row and filters
    out every row before the cursor (9 million calls, eleven months back in the benchmark)."""
    beyond = Q(**{f"{field}__{lookup}": value}) | Q(**{field: value, f"pk__{lookup}": pk})
    return beyond & Q(**{f"{field}__{lookup}e": value})
