"""Which member a recording rule is for, from what an admin typed: part of a name or of a number.

The rule form has a text field rather than a list of every member (thousands do not fit in a
dropdown). As the admin types, the page asks `member_candidates` for the few members that match
(htmx); without JavaScript the same words resolve when the form is sent (`member_resolve`), and
an ambiguous answer comes back with the members it could mean, to pick one of.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from calls.templatetags.phone import phone
from clicktodial_portal.phones import (
    searched_number,
)
from recordings.models import RecordingRule

# How many members a search lists: enough to pick from, few enough to read.
CANDIDATES_SHOWN = 8
# Fewer characters than this find too many members to be worth listing.
SEARCH_MIN_LENGTH = 2
# "Ann Lee (139 1234 5673)": the member's label, which the field holds once one is picked.
_LABELLED = re.compile(r"^(?P<name>.*\S)\s*\((?P<number>[^()]*)\)\s*$")


def _members() -> QuerySet[models.Model]:
    # A member number, which recordings does not import (members sits beside it): the model
    # the rule's foreign key points at. A removed member can no longer call: no rule for them.
    model = RecordingRule._meta.get_field("member").related_model
    return model.objects.exclude(status="removed").select_related("department")


def member_label(member: models.Model) -> str:
    """How the field shows a member, and the words that find exactly that member again."""
    return f"{member.name} ({phone(member.phone_number)})"


@dataclass(frozen=True)
class MemberSearch:
    """The members that `text` may mean: `found` when exactly one, else a few `candidates` of
    `count` in all, and an `error` to show next to the field (empty when nothing is typed)."""

    text: str
    found: models.Model | None = None
    candidates: list[models.Model] = field(default_factory=list)
    count: int = 0
    error: str = ""


def _number_match(text: str) -> Q | None:
    searched = searched_number(text)
    return None if searched is None else searched.matching("phone_number")


def _matching(text: str) -> QuerySet[models.Model]:
    members = _members()
    labelled = _LABELLED.match(text)
    if labelled:
        # A label as member_label writes it: that name at that number, nothing looser.
        number = _number_match(labelled["number"])
        if number is not None:
            return members.filter(number, name=labelled["name"])
    number = _number_match(text)
    if number is not None:
        return members.filter(number)
    same_name = members.filter(name__iexact=text)
    if same_name.count() == 1:
        # "Ann" is Ann, even when Anna and Joanne are members too.
        return same_name
    return members.filter(name__icontains=text)


def member_candidates(text: str) -> MemberSearch:
    """The members whose name or number holds `text`, a few of them, and how many in all."""
    # PostgreSQL refuses a NUL in a query's text: it can be in no name anyway.
    text = text.replace("\x00", "").strip()
    if len(text) < SEARCH_MIN_LENGTH:
        # Not a search yet: no "no member matches" under a field just begun.
        return MemberSearch(text="")
    matching = _matching(text)
    candidates = list(matching.order_by("name", "pk")[: CANDIDATES_SHOWN + 1])
    count = len(candidates) if len(candidates) <= CANDIDATES_SHOWN else matching.count()
    return MemberSearch(
        text=text,
        found=candidates[0] if count == 1 else None,
        candidates=candidates[:CANDIDATES_SHOWN],
        count=count,
    )


def member_resolve(text: str, *, picked: str = "") -> MemberSearch:
    """The one member the form's words mean, or an error saying why there is none: `picked` is
    the id of a member chosen among the candidates, which wins over the words as long as the
    words still mean it (a pick left checked under words typed since is not what was meant)."""
    text = text.replace("\x00", "").strip()
    # A database id: decimal digits (not "²", which int() refuses) that fit in a bigint.
    if picked.isdecimal() and len(picked) <= 18:
        member = _members().filter(pk=int(picked)).first()
        if member is not None and (
            text == member_label(member) or _matching(text).filter(pk=member.pk).exists()
        ):
            return MemberSearch(text=member_label(member), found=member, count=1)
    if not text:
        return MemberSearch(text=text)
    search = member_candidates(text)
    if search.found is not None:
        return search
    if search.count == 0:
        error = _(
            "No member matches “%(text)s”. Type part of their name or number (at least two "
            "characters)."
        ) % {"text": text}
    else:
        error = _("%(count)s members match “%(text)s”: pick one below, or type more of it.") % {
            "count": search.count,
            "text": text,
        }
    return MemberSearch(text=text, candidates=search.candidates, count=search.count, error=error)
