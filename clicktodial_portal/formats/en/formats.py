# How the portal writes dates in English: day first, month in words ("1 November 2026"), as
# its users in China read English dates; Django's own English formats are American.
DATE_FORMAT = "j F Y"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATETIME_FORMAT = "j M H:i"
