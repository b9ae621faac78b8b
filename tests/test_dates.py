"""A date range says each part once, in the reader's language: 2026年12月1日至31日, not
2026年12月1日至12月31日."""

from datetime import date

import pytest
from django.template import Context, Template
from django.utils import translation

from clicktodial_portal.dates import date_range_display


@pytest.mark.parametrize(
    ("first", "last", "english", "chinese"),
    [
        (date(2026, 12, 1), date(2026, 12, 1), "1 December 2026", "2026年12月1日"),
        (date(2026, 12, 1), date(2026, 12, 31), "1\u201331 December 2026", "2026年12月1日至31日"),
        (
            date(2026, 11, 1),
            date(2026, 12, 31),
            "1 November \u2013 31 December 2026",
            "2026年11月1日至12月31日",
        ),
        (
            date(2026, 12, 1),
            date(2027, 1, 31),
            "1 December 2026 \u2013 31 January 2027",
            "2026年12月1日至2027年1月31日",
        ),
    ],
)
def test_a_range_says_the_month_and_year_once_when_they_are_shared(first, last, english, chinese):
    assert date_range_display(first, last) == english
    with translation.override("zh-hans"):
        assert date_range_display(first, last) == chinese


def test_templates_write_a_range_the_same_way():
    template = Template("{% load date_range %}{{ first|date_range:last }}")
    context = Context({"first": date(2026, 12, 1), "last": date(2026, 12, 31)})

    with translation.override("zh-hans"):
        assert template.render(context) == "2026年12月1日至31日"
