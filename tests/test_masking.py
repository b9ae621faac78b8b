"""Phone numbers are masked for finance: the first 3 and last 4 national digits stay."""

import pytest
from django.contrib.auth.models import AnonymousUser, User

from clicktodial_portal.masking import mask_number, masks_numbers, number_display_for


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+8613812348653", "+86 138****8653"),
        ("+8613912345673", "+86 139****5673"),
        ("13812348653", "138****8653"),
        ("138 1234 8653", "138****8653"),
        # A Beijing landline has 10 national digits: 4 are still hidden.
        ("+861052680000", "+86 10****0000"),
        ("+14155550100", "+1 41****0100"),
        ("+442079460958", "+44 20****0958"),
        ("12345", "****5"),
        ("1234", "****"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_number(number, masked):
    assert mask_number(number) == masked


def test_a_masked_number_keeps_its_length_in_digits_and_stars():
    masked = mask_number("+8613812348653")
    assert len(masked.split(" ")[1]) == len("13812348653")
    assert "1234" not in masked


def test_finance_see_masked_numbers_and_admins_whole():
    finance = User(username="finance")
    admin = User(username="admin", is_staff=True)

    assert masks_numbers(finance) and masks_numbers(AnonymousUser())
    assert not masks_numbers(admin)
    assert number_display_for(finance)("+8613812348653") == "+86 138****8653"
    assert number_display_for(admin)("+8613812348653") == "+8613812348653"
