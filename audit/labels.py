"""How the audit log's page names what each app writes to it, in the reader's language.

The log stores object types, field names and values as they are in the database. Each app says
what its own read as, from its AppConfig.ready(), so that the audit app imports no other app.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.functional import Promise

Label = str | Promise


@dataclass(frozen=True)
class AuditedType:
    label: Label
    # The URL name of the object's page, taking its primary key; "" when it has none.
    url_name: str = ""


# In the order the apps register them: the page's type filter and its fields follow it.
OBJECT_TYPES: dict[str, AuditedType] = {}
FIELD_LABELS: dict[str, Label] = {}
VALUE_LABELS: dict[str, dict[str, Label]] = {}


def audited_type_register(
    object_type: str,
    *,
    label: Label,
    url_name: str = "",
    fields: Mapping[str, Label] | None = None,
    values: Mapping[str, Mapping[str, Label]] | None = None,
) -> None:
    """Name an object type (a model's name, as audit_record stores it) for the log's page:
    its label, its page, its fields' labels and, per field, its stored values in words."""
    OBJECT_TYPES[object_type] = AuditedType(label, url_name)
    for name, field_label in (fields or {}).items():
        FIELD_LABELS.setdefault(name, field_label)
    for name, labels in (values or {}).items():
        VALUE_LABELS.setdefault(name, {}).update(labels)
