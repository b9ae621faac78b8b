"""`{{ number|phone }}`: a stored E.164 number as people of the enterprise's region write it.

Numbers of the enterprise's own region (PHONE_DEFAULT_REGION) are shown in national form
(`139 1234 5673`, `010 5268 0000`), others in international form (`+1 650-253-0000`). Anything
that is not an E.164 number — a masked `+86 138****5678`, an empty value — is shown unchanged.
"""

import phonenumbers
from django import template
from django.conf import settings

register = template.Library()


@register.filter
def phone(value: object) -> str:
    text = "" if value is None else str(value)
    if not text.startswith("+") or "*" in text:
        return text
    try:
        number = phonenumbers.parse(text)
    except phonenumbers.NumberParseException:
        return text
    own_region = phonenumbers.region_code_for_number(number) == settings.PHONE_DEFAULT_REGION
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if own_region
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)
