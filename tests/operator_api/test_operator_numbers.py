"""Phone number forms: what is accepted, what is refused, and what the operator is sent."""

from __future__ import annotations

import pytest

from operator_api import InvalidPhoneNumber, NumberFormat, format_for_operator, normalize_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+8613912345673", "+8613912345673"),
        ("8613912345673", "+8613912345673"),  # the operator's own form: digits with country code
        ("13912345673", "+8613912345673"),  # national mobile
        ("139 1234 5673", "+8613912345673"),
        ("139-1234-5673", "+8613912345673"),
        ("(010) 5268-0000", "+861052680000"),
        ("01052680000", "+861052680000"),  # national landline with trunk prefix
        ("861052680000", "+861052680000"),
        ("+86 139 1234 5673", "+8613912345673"),
        ("008613912345673", "+8613912345673"),  # international dialling prefix
        ("  +8613912345673  ", "+8613912345673"),
        ("+12025550123", "+12025550123"),
        ("12025550123", "+12025550123"),  # not Chinese national, but valid with a "+"
    ],
)
def test_it_normalises_accepted_forms_to_e164(raw: str, expected: str) -> None:
    assert normalize_number(raw) == expected


def test_it_reads_national_form_in_the_default_region() -> None:
    assert normalize_number("2025550123", default_region="US") == "+12025550123"


@pytest.mark.parametrize(
    "raw", ["12ab", "", "   ", "+", "12345678", "+86139", "++8613912345673", "139.1234.567x"]
)
def test_it_refuses_what_is_not_a_phone_number(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as excinfo:
        normalize_number(raw)
    assert isinstance(excinfo.value, ValueError)


def test_the_refusal_says_what_to_do() -> None:
    with pytest.raises(InvalidPhoneNumber) as excinfo:
        normalize_number("12ab")
    assert str(excinfo.value) == (
        "'12ab' is not a phone number. Use international form, e.g. +8613912345673."
    )


def test_it_refuses_non_text() -> None:
    with pytest.raises(InvalidPhoneNumber):
        normalize_number(8613912345673)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("number_format", "mobile", "landline"),
    [
        ("digits", "8613912345673", "861052680000"),
        ("e164", "+8613912345673", "+861052680000"),
        ("national", "13912345673", "01052680000"),
        (NumberFormat.NATIONAL, "13912345673", "01052680000"),
    ],
)
def test_it_formats_for_the_operator(number_format: str, mobile: str, landline: str) -> None:
    assert format_for_operator("+8613912345673", number_format=number_format) == mobile
    assert format_for_operator("+861052680000", number_format=number_format) == landline


def test_an_unknown_format_is_a_value_error_naming_the_choices() -> None:
    with pytest.raises(ValueError, match="'digits', 'e164', 'national'"):
        format_for_operator("+8613912345673", number_format="pretty")


@pytest.mark.parametrize("e164", ["8613912345673", "+86139", "13912345673"])
def test_formatting_requires_valid_e164(e164: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        format_for_operator(e164, number_format="digits")
