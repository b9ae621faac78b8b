"""Numbers on pages read as the enterprise's people write them."""

import pytest

from calls.templatetags.phone import phone


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+8613912345673", "139 1234 5673"),
        ("+861052680000", "010 5268 0000"),
        ("+16502530000", "+1 650-253-0000"),
        ("+86 138****5678", "+86 138****5678"),  # masked for finance: unchanged
        ("", ""),
        (None, ""),
        ("not a number", "not a number"),
        # A business number as the operator registered it.
        ("01052680000", "010 5268 0000"),
        ("02161230000", "021 6123 0000"),
        ("12345", "12345"),
    ],
)
def test_numbers_of_the_region_are_national_others_international(stored, shown):
    assert phone(stored) == shown
