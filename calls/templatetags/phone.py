"""`{{ number|phone }}`: a stored E.164 number as people of the enterprise's region write it.

Numbers of the enterprise's own region (PHONE_DEFAULT_REGION) are shown in national form
(`139 1234 5673`, `010 5268 0000`), others in international form (`+1 650-253-0000`). A business
number, kept as the operator registered it (`01052680000`), is read in that region. Anything
else — a masked `+86 138****5678`, an empty value, digits that are no valid number — is shown
unchanged.
"""

import phonenumbers
from django import template
from django.conf import settings

register = template.Library()


@register.filter
def phone(value: object) -> str:
    text = "" if value is None else str(value)
    if not (text.startswith("+") or text.isdigit()) or "*" in text:
        return text
    try:
        number = phonenumbers.parse(text, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return text
    if not text.startswith("+") and not phonenumbers.is_valid_number(number):
        return text  # digits that are no number of the region: as they are
    own_region = phonenumbers.region_code_for_number(number) == settings.PHONE_DEFAULT_REGION
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if own_region
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)
