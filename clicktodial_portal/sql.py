"""Pieces of PostgreSQL statements written from the models, for the few paths that do several
writes in one statement (calls.services.progress, members.pool.ledger; issue 20).

The ORM sends one statement per write. A data-modifying CTE does them all in one round trip, as
one transaction; these build its parts from the model's own fields, with the values the ORM would
send (each field's `pre_save` and `get_db_prep_save`: defaults, `auto_now`, types), so that a
column added to a model needs no second list here.

The hot paths' own statements go through `prepared_cursor`, so that PostgreSQL plans each of them
once per connection rather than on every call.
"""

from __future__ import annotations

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models import Model
from django.utils.asyncio import async_unsafe


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


@async_unsafe
def prepared_cursor() -> CursorWrapper:
    """A cursor for a hot path's own statement, which PostgreSQL plans once per connection.

    The ORM's cursors bind their values on the client (Django's default for psycopg 3): each
    statement goes out as new text and is planned anew, which for a notification's statements
    cost about a sixth of their time (bench.profile_notify: a status 2.3 to 2.0 ms, an end 3.9 to
    3.2 ms). This one binds on the server, so psycopg prepares a statement once it has run
    `prepare_threshold` times on the connection (settings.DATABASES' OPTIONS; none with
    DATABASE_PREPARED_STATEMENTS=false) and then sends only its values. Only the few statements
    written for speed use it; the ORM's stay as they are, since Django warns that some of its
    queries fail with server-side binding. Elsewhere than on PostgreSQL, the usual cursor.
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    # As BaseDatabaseWrapper.cursor() opens its own: health check, connection, the wrapper that
    # logs queries in tests and DEBUG and translates psycopg's errors into Django's.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(ServerBindingCursor(connection.connection))
