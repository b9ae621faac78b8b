"""`{{ call.error_message|stored_message }}`: a message kept with a call in English, shown in the
reader's language (calls.messages)."""

from django import template

from calls.messages import stored_message as translate_stored

register = template.Library()


@register.filter
def stored_message(value: object) -> str:
    return translate_stored("" if value is None else str(value))
