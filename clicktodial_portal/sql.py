"""Pieces of PostgreSQL statements written from the models, for the few paths that do several
writes in one statement (calls.services.progress, members.pool.ledger; issue 20).

The ORM sends one statement per write. A data-modifying CTE does them all in one round trip, as
one transaction; these build its parts from the model's own fields, with the values the ORM would
send (each field's `pre_save` and `get_db_prep_save`: defaults, `auto_now`, types), so that a
column added to a model needs no second list here.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Model


def insert_for_each(instance: Model, *, source: str, column: str) -> tuple[str, list[object]]:
    """An INSERT of `instance`'s row once for each row of `source` (a CTE or table of the same
    statement, with an `id` column), its `column` (a foreign key's column) set to that row's id:
    one row when `source` yields one, none when it yields none.

    `instance` is unsaved and its primary key is the database's to give.
    """
    meta = instance._meta
    quote = connection.ops.quote_name
    columns, values, params = [], [], []
    for field in meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(quote(field.column))
        if field.column == column:
            values.append(f"{quote(source)}.id")
            continue
        value = field.get_db_prep_save(field.pre_save(instance, add=True), connection)
        values.append("%s")
        params.append(value)
    statement = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) "  # noqa: S608 - names from the model
        f"SELECT {', '.join(values)} FROM {quote(source)}"
    )
    return statement, params


def assignments(model: type[Model], fields: dict[str, object]) -> tuple[str, list[object]]:
    """The SET list of an UPDATE of `model` giving each named field its value, prepared as the
    ORM prepares it."""
    quote = connection.ops.quote_name
    parts, params = [], []
    for name, value in fields.items():
        field = model._meta.get_field(name)
        parts.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    return ", ".join(parts), params
