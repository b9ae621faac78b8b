"""Reads for contacts: whose contacts a user sees, the contacts page (sorted, in keyset pages, with
the numbers two visible contacts share) and the `tel:` links in a contact's notes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet

from calls.cursors import cursor_decode, cursor_encode, rows_beyond
from calls.models import Contact
from clicktodial_portal.phones import (
    InvalidPhoneNumber,
    phone_number_normalize,
    searched_number,
)


def contacts_of(user: AbstractBaseUser) -> QuerySet[Contact]:
    """The user's own contacts and the shared ones (no owner); never someone else's."""
    return Contact.objects.filter(Q(owner=user) | Q(owner__isnull=True))


def contacts_search(contacts: QuerySet[Contact], text: str) -> QuerySet[Contact]:
    """Contacts whose name or company contains `text`, or whose number it is (national or
    E.164 form) or is part of."""
    text = text.strip()
    if not text:
        return contacts
    match = Q(name__icontains=text) | Q(company__icontains=text)
    searched = searched_number(text)
    if searched is not None:
        match |= searched.matching("phone_number")
        # Part of a number; a national trunk 0 is not in the E.164 form.
        digits = searched.digits
        if not searched.e164 and digits.startswith("0") and len(digits) > 3:
            match |= Q(phone_number__contains=digits[1:])
    return contacts.filter(match)


# The contacts page: sorted, in keyset pages, with the numbers two visible contacts share.

CONTACTS_PAGE_SIZE = 50
# The columns the page sorts by, as the URL names them ("-company": Z to A).
CONTACT_SORT_FIELDS = {"name": "name", "company": "company", "number": "phone_number"}
CONTACT_SORT_DEFAULT = "name"


def contact_sort_parse(text: str) -> str:
    """`text` when it names a sort ("company", "-number"), else the default: by name, A to Z."""
    return text if text.lstrip("-") in CONTACT_SORT_FIELDS else CONTACT_SORT_DEFAULT


@dataclass(frozen=True)
class ContactCursor:
    """A position in the contacts sorted by `sort`: a row's sort value and id, as a token."""

    sort: str
    value: str
    pk: int

    def token(self) -> str:
        return cursor_encode(self.sort, self.value, self.pk)

    @classmethod
    def at(cls, contact: Contact, sort: str) -> ContactCursor:
        return cls(sort, getattr(contact, CONTACT_SORT_FIELDS[sort.lstrip("-")]), contact.pk)

    @classmethod
    def parse(cls, token: str, *, sort: str) -> ContactCursor | None:
        """The cursor in `token`, or None when it is not one, or one of another sort (a link
        kept from before the sort changed)."""
        decoded = cursor_decode(token)
        if decoded is None:
            return None
        token_sort, value, pk = decoded
        if token_sort != sort or not isinstance(value, str):
            return None
        return cls(sort, value, pk)


@dataclass(frozen=True)
class ContactPage:
    contacts: list[Contact]
    total: int  # every contact the search finds, on all pages
    first: int  # the position of the first one shown, from 1 (0 when none is)
    next: ContactCursor | None  # pass as `after` for the next page
    previous: ContactCursor | None  # pass as `before` for the previous page

    @property
    def last(self) -> int:
        return self.first + len(self.contacts) - 1 if self.contacts else 0


def contacts_page(
    contacts: QuerySet[Contact],
    *,
    sort: str = CONTACT_SORT_DEFAULT,
    after: ContactCursor | None = None,
    before: ContactCursor | None = None,
    size: int = CONTACTS_PAGE_SIZE,
) -> ContactPage:
    """One page of `contacts` in `sort`'s order by keyset on (sort value, id): the rows after
    `after`, or before `before`, or the first ones.

    The id breaks ties, so contacts with the same name are neither skipped nor shown twice, and
    a contact added or deleted meanwhile shifts nothing. The position comes from counting the
    rows before the page (no OFFSET either): two counts and the rows, three queries.
    """
    field = CONTACT_SORT_FIELDS[sort.lstrip("-")]
    descending = sort.startswith("-")
    forward, backward = ("lt", "gt") if descending else ("gt", "lt")
    order = (f"-{field}", "-id") if descending else (field, "id")
    total = contacts.count()
    if before is not None:
        # The rows just before the cursor, read nearest first, then put back in order.
        reversed_order = (field, "id") if descending else (f"-{field}", "-id")
        nearest = contacts.filter(rows_beyond(field, before.value, before.pk, backward))
        rows = list(nearest.order_by(*reversed_order)[:size])[::-1]
    else:
        shown = (
            contacts.filter(rows_beyond(field, after.value, after.pk, forward))
            if after
            else contacts
        )
        rows = list(shown.order_by(*order)[:size])
    if not rows and (after is not None or before is not None) and total:
        # Nothing left beyond the cursor (deleted meanwhile): the first page, not "no contacts".
        return contacts_page(contacts, sort=sort, size=size)
    if not rows:
        return ContactPage(contacts=[], total=total, first=0, next=None, previous=None)
    start = ContactCursor.at(rows[0], sort)
    ahead = 0
    if after is not None or before is not None:
        ahead = contacts.filter(rows_beyond(field, start.value, start.pk, backward)).count()
    first = ahead + 1
    return ContactPage(
        contacts=rows,
        total=total,
        first=first,
        next=ContactCursor.at(rows[-1], sort) if ahead + len(rows) < total else None,
        previous=start if ahead else None,
    )


def contact_numbers_duplicated(user: AbstractBaseUser, numbers: Iterable[str]) -> set[str]:
    """Those of `numbers` that two of the contacts `user` sees both have: a private contact and
    a shared one (the constraints allow no other pair)."""
    repeated = (
        contacts_of(user)
        .filter(phone_number__in=set(numbers))
        .order_by()
        .values("phone_number")
        .annotate(contacts=Count("id"))
        .filter(contacts__gt=1)
    )
    return {row["phone_number"] for row in repeated}


# `tel:` then a number as people write it: +86 138…, 010-5268-0000, (010) 5268 0000.
_TEL_LINK = re.compile(r"tel:(\+?[0-9(][0-9()\-. ]{1,28}[0-9])", re.IGNORECASE)


@dataclass(frozen=True)
class NotePart:
    """A piece of a contact's notes: plain text, or a tel: number to show as a Call button."""

    text: str
    number: str = ""


def contact_note_parts(notes: str) -> list[NotePart]:
    """The notes split around the tel: links whose number is valid (E.164 in `number`).

    The template escapes every part, so notes can never inject markup.
    """
    parts: list[NotePart] = []
    position = 0
    for link in _TEL_LINK.finditer(notes):
        try:
            number = phone_number_normalize(link.group(1))
        except InvalidPhoneNumber:
            continue
        if link.start() > position:
            parts.append(NotePart(text=notes[position : link.start()]))
        parts.append(NotePart(text=link.group(1), number=number))
        position = link.end()
    if position < len(notes):
        parts.append(NotePart(text=notes[position:]))
    return parts
