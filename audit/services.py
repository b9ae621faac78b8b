"""The one writer of the audit log: every app records what was done through `audit_record`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models

from audit.models import AuditLogEntry

Action = AuditLogEntry.Action


def audit_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    object_repr: str | None = None,
) -> AuditLogEntry:
    """Write one entry: `actor` did `action` (an `AuditLogEntry.Action`) to `obj`.

    `before` and `after` are the fields a person cares about, as JSON (None: there was no before,
    or nothing is left after); the log's page shows the fields that differ. The object is named
    by its model's name, its primary key and `object_repr` (default: `str(obj)`), so the entry
    outlives it. An anonymous or missing actor is recorded as the system. Call it inside the
    transaction that makes the change, so the change and its entry are written together.
    """
    return AuditLogEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=type(obj).__name__,
        object_id=str(obj.pk),
        object_repr=(str(obj) if object_repr is None else object_repr)[
            : AuditLogEntry._meta.get_field("object_repr").max_length
        ],
        before=before,
        after=after,
    )
