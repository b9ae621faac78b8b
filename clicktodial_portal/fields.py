"""Small helpers for writing model fields."""

from django.db.models import Model


def fitted(model: type[Model], field: str, text: str) -> str:
    """`text` cut to what `model`'s `field` holds (its max_length), read from the model: a value
    too long for its column is shortened, never refused by the database, and the length is
    written once, on the field."""
    return text[: model._meta.get_field(field).max_length]
