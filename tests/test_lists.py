"""A list a person types is read whatever separators their keyboard gives them."""

import pytest

from clicktodial_portal.lists import typed_list


@pytest.mark.parametrize(
    "typed",
    [
        "80,95,100",
        "80, 95, 100",
        "80;95; 100",
        "80\N{FULLWIDTH COMMA}95\N{FULLWIDTH COMMA}100",
        "80\N{IDEOGRAPHIC COMMA}95\N{IDEOGRAPHIC COMMA}100",
        "80\N{FULLWIDTH SEMICOLON} 95\N{FULLWIDTH SEMICOLON}100",
        "80 95\n100",
        "80\N{IDEOGRAPHIC SPACE}95\t100",
        " ,80,, 95 ,100, ",
    ],
)
def test_every_separator_a_person_types_splits_the_list(typed):
    assert typed_list(typed) == ["80", "95", "100"]


def test_an_empty_field_is_an_empty_list():
    assert typed_list("") == []
    assert typed_list(" ，、 ") == []
