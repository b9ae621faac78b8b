"""Page links carry a cursor from the URL: whatever comes back that the pages did not make is the
first page, never a 500."""

import json
from base64 import urlsafe_b64encode

import pytest
from django.urls import reverse

from calls.cursors import cursor_decode, cursor_encode
from calls.history import HistoryCursor


def token(raw: str) -> str:
    return urlsafe_b64encode(raw.encode()).decode().rstrip("=")


CRAFTED = {
    "nested too deep": token("[" * 1000),
    "a NUL in the value": token(json.dumps(["name", "a\x00", 1])),
    "an id no row can have": token(json.dumps(["name", "a", 2**70])),
    "an integer out of range": token(json.dumps(["-duration", 2**70, 1])),
    "not base64": "%%%",
    "too long": token(json.dumps(["name", "a" * 2000, 1])),
    "a float id": token(json.dumps(["name", "a", 1.5])),
}


def test_a_cursor_made_by_the_pages_reads_back():
    assert cursor_decode(cursor_encode("name", "李雷", 42)) == ("name", "李雷", 42)


@pytest.mark.parametrize("crafted", CRAFTED.values(), ids=list(CRAFTED))
def test_a_crafted_cursor_is_no_cursor(crafted):
    assert cursor_decode(crafted) is None


def test_a_date_no_database_compares_is_no_cursor():
    crafted = token(json.dumps(["-date", "0001-01-01T00:00:00+14:00", 1]))
    assert HistoryCursor.parse(crafted, sort="-date") is None


@pytest.mark.django_db
@pytest.mark.parametrize("crafted", CRAFTED.values(), ids=list(CRAFTED))
@pytest.mark.parametrize("page", ["contact-list", "call-list"])
def test_the_pages_answer_a_crafted_cursor_with_their_first_page(
    client, employee, member, page, crafted
):
    client.force_login(employee)
    for direction in ("after", "before"):
        assert client.get(reverse(page), {direction: crafted}).status_code == 200
