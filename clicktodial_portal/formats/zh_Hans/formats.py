# How the portal writes dates in Chinese: 2026年11月1日, 2026年11月, 11月1日.
DATE_FORMAT = "Y年n月j日"
YEAR_MONTH_FORMAT = "Y年n月"
MONTH_DAY_FORMAT = "n月j日"
SHORT_DATETIME_FORMAT = "n月j日 H:i"
# Numbers grouped by thousands with a comma (12,345), as Chinese business documents write them;
# Django's own Chinese formats have no separator at all, which leaves 250000 unreadable.
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
