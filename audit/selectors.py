"""Reads of the audit log: its entries by filter, who appears in it, and each entry's changes in
words (audit.labels), in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import pgettext

from audit import labels
from audit.models import AuditLogEntry
from clicktodial_portal import bounds
from clicktodial_portal.dates import local_midnight

# The person filter's value for entries no one logged in made (retention, Django's shell).
SYSTEM = "system"


def _day(text: str) -> date | None:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    # A day past the supported calendar is left out like a malformed one: its midnight overflows.
    return day if bounds.DATE_MIN <= day <= bounds.DATE_MAX else None


@dataclass(frozen=True)
class AuditFilters:
    """What the log's page and its export show: every filter is optional, and one that does not
    make sense (an unknown type, a malformed date) is left out rather than refused."""

    object_type: str = ""
    object_id: str = ""  # one object's history, within its type
    actor: str = ""  # a user's id, or SYSTEM
    action: str = ""
    date_from: date | None = None  # local days, both included
    date_to: date | None = None

    @classmethod
    def from_query(cls, query: QueryDict) -> AuditFilters:
        object_type = query.get("type", "")
        if object_type not in labels.OBJECT_TYPES:
            object_type = ""
        object_id = query.get("object", "")
        actor = query.get("actor", "")
        action = query.get("action", "")
        return cls(
            object_type=object_type,
            object_id=object_id if object_type and bounds.id_parse(object_id) else "",
            actor=actor if actor == SYSTEM or bounds.id_parse(actor) else "",
            action=action if action in AuditLogEntry.Action.values else "",
            date_from=_day(query.get("from", "")),
            date_to=_day(query.get("to", "")),
        )

    def apply(self, entries: QuerySet[AuditLogEntry]) -> QuerySet[AuditLogEntry]:
        if self.object_type:
            entries = entries.filter(object_type=self.object_type)
            if self.object_id:
                entries = entries.filter(object_id=self.object_id)
        if self.actor == SYSTEM:
            entries = entries.filter(actor__isnull=True)
        elif self.actor:
            entries = entries.filter(actor_id=int(self.actor))
        if self.action:
            entries = entries.filter(action=self.action)
        if self.date_from:
            entries = entries.filter(at__gte=local_midnight(self.date_from))
        if self.date_to:
            entries = entries.filter(at__lt=local_midnight(self.date_to + timedelta(days=1)))
        return entries

    @property
    def is_filtered(self) -> bool:
        return any(
            (self.object_type, self.actor, self.action, self.date_from, self.date_to),
        )


def audit_entries(*, filters: AuditFilters) -> QuerySet[AuditLogEntry]:
    """The entries the filters let through, newest first, with who made them."""
    return filters.apply(AuditLogEntry.objects.select_related("actor").order_by("-at", "-id"))


def audit_actors() -> QuerySet[AbstractBaseUser]:
    """The people who appear in the log, for its person filter."""
    user_model = get_user_model()
    in_log = AuditLogEntry.objects.filter(actor__isnull=False).values("actor_id").distinct()
    return user_model.objects.filter(pk__in=in_log).order_by(user_model.USERNAME_FIELD)


def actor_display(entry: AuditLogEntry) -> str:
    if entry.actor is None:
        return pgettext("who made a change: nobody logged in", "system")
    return entry.actor.get_username()


def object_type_display(object_type: str) -> str:
    known = labels.OBJECT_TYPES.get(object_type)
    return str(known.label) if known else object_type


def object_url_name(object_type: str) -> str:
    known = labels.OBJECT_TYPES.get(object_type)
    return known.url_name if known else ""


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str | None  # None: the object was created, there was no before
    after: str

    def __str__(self) -> str:
        # As the export writes it: the punctuation is the reader's language's (全角 in Chinese).
        if self.before is None:
            return pgettext("a field set, in the audit log's export", "%(field)s: %(after)s") % {
                "field": self.label,
                "after": self.after,
            }
        return pgettext(
            "a field changed, in the audit log's export", "%(field)s: %(before)s → %(after)s"
        ) % {"field": self.label, "before": self.before, "after": self.after}


def _display(value: object, field: str = "") -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        if value:
            return pgettext("a yes/no value, in the audit log", "yes")
        return pgettext("a yes/no value, in the audit log", "no")
    if isinstance(value, str) and value in labels.VALUE_LABELS.get(field, {}):
        return str(labels.VALUE_LABELS[field][value])
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "—"
    return str(value)


def audit_changes(entry: AuditLogEntry) -> list[FieldChange]:
    """The fields an entry changed, before → after; for a creation, the fields that were set."""
    before = entry.before or {}
    after = entry.after or {}
    field_labels = labels.FIELD_LABELS
    # In the labels' order: PostgreSQL's jsonb does not keep the order keys were written in.
    present = {*after, *before}
    fields = [name for name in field_labels if name in present]
    fields += sorted(present - set(fields))
    if entry.before is None:
        return [
            FieldChange(str(field_labels.get(name, name)), None, _display(after.get(name), name))
            for name in fields
            if after.get(name) not in (None, "", [])
        ]
    return [
        FieldChange(
            str(field_labels.get(name, name)),
            _display(before.get(name), name),
            _display(after.get(name), name),
        )
        for name in fields
        if before.get(name) != after.get(name)
    ]
