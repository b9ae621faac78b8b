"""`{{ first|date_range:last }}`: a date range as clicktodial_portal.dates.date_range_display
writes it, for templates."""

from datetime import date

from django import template

from clicktodial_portal.dates import date_range_display

register = template.Library()


@register.filter
def date_range(first: date, last: date) -> str:
    return date_range_display(first, last)
