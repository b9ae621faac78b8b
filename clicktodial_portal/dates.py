"""Days as the enterprise's clock reads them, and as people read them."""

from datetime import date, datetime, time

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import pgettext


def local_midnight(day: date) -> datetime:
    """The start of `day` in the current time zone (TIME_ZONE unless a request chose another):
    a date filter's bound, `created_at__gte=local_midnight(first)`,
    `created_at__lt=local_midnight(last + 1 day)`."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def date_range_display(first: date, last: date) -> str:
    """The days `first` to `last` (both included) in the active language, each part said once:
    "1–31 December 2026", "1 November – 31 December 2026", "1 December 2026 – 31 January 2027";
    in Chinese 2026年12月1日至31日, 2026年11月1日至12月31日, 2026年12月1日至2027年1月31日. One day
    reads as that day."""  # noqa: RUF002 (en dashes)
    if first == last:
        return date_format(first, "DATE_FORMAT")
    if (first.year, first.month) == (last.year, last.month):
        # Translators: date formats (Django's `date` letters) for a range within one month:
        # its first day, then its last ("1" and "31 December 2026").
        formats = (
            pgettext("first day of a range within a month", "j"),
            pgettext("last day of a range within a month", "j F Y"),
        )
        # Translators: a date range within one month, both days included, as "1" and "31
        # December 2026" joined by an en dash (no spaces) in English.
        joined = pgettext("date range within a month", "%(first)s–%(last)s")  # noqa: RUF001
    else:
        if first.year == last.year:
            # Translators: date formats (Django's `date` letters) for a range within one year:
            # its first day, then its last ("1 November" and "31 December 2026").
            formats = (
                pgettext("first day of a range within a year", "j F"),
                pgettext("last day of a range within a year", "j F Y"),
            )
        else:
            formats = ("DATE_FORMAT", "DATE_FORMAT")
        # Translators: a date range, both days included, as "1 November" and "31 December
        # 2026" joined by a spaced en dash in English.
        joined = pgettext("date range", "%(first)s – %(last)s")  # noqa: RUF001
    return joined % {"first": date_format(first, formats[0]), "last": date_format(last, formats[1])}
