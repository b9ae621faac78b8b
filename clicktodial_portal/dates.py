"""Days as the enterprise's clock reads them."""

from datetime import date, datetime, time

from django.utils import timezone


def local_midnight(day: date) -> datetime:
    """The start of `day` in the current time zone (TIME_ZONE unless a request chose another):
    a date filter's bound, `created_at__gte=local_midnight(first)`,
    `created_at__lt=local_midnight(last + 1 day)`."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())
