"""calls.widgets.OnePassSelect writes the markup forms.Select writes, in one pass."""

from __future__ import annotations

import pytest
from django import forms
from django.utils.functional import lazy
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from calls.widgets import OnePassSelect

CHOICES = [
    ("", gettext_lazy("All members")),
    (1, "Ann & Bob's <team>"),
    (2, 'He said "hi"'),
    ("a&b", "value with an ampersand"),
    (3, mark_safe("<b>already safe</b>")),
    (None, "none as a value"),
    (1, "the same value again"),
    (6, gettext_lazy("A & <B>")),
    (7, lazy(lambda: mark_safe("<i>lazy and safe</i>"), SafeString)()),
    (4, 5),
    (5, None),
]


@pytest.mark.parametrize("value", [None, "", "1", 2, "a&b", "missing"])
@pytest.mark.parametrize(
    "attrs", [None, {"class": "filter", "id": "id_member", "required": True, "disabled": False}]
)
def test_the_markup_is_forms_selects(value, attrs) -> None:
    ours = OnePassSelect(choices=CHOICES).render("member", value, attrs)
    django = forms.Select(choices=CHOICES).render("member", value, attrs)
    assert ours == django


def test_choices_in_groups_are_left_to_forms_select() -> None:
    grouped = [("Sales", [(1, "Ann"), (2, "Bob")]), (3, "Cy")]
    ours = OnePassSelect(choices=grouped).render("member", "2")
    assert ours == forms.Select(choices=grouped).render("member", "2")
    assert "<optgroup" in ours
