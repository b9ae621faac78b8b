"""`/call?number=…` (issue 21, "Call from any page"): a number from a CRM's link or any tel: link,
read as RFC 3966 writes it and as browsers hand it over; opening the page never rings anyone."""

import pytest

from calls.models import Call, Contact
from clicktodial_portal.phones import DialedNumber, InvalidPhoneNumber, dialed_number

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("tel:+86-138-0013-8000", DialedNumber("+8613800138000")),
        ("TEL:+86.138.0013.8000", DialedNumber("+8613800138000")),
        # Escaped once more, as some CRMs write the link's own text.
        ("tel:%2B86%20138%200013%208000", DialedNumber("+8613800138000")),
        ("tel:+86-10-8765-4321;ext=12-3", DialedNumber("+861087654321", "123")),
        # A local number in a context of global digits (RFC 3966 5.1.5).
        ("tel:8765-4321;phone-context=+86-10", DialedNumber("+861087654321")),
        # A domain context says nothing of the country: the national number is read as typed.
        ("tel:010-8765-4321;phone-context=example.com", DialedNumber("+861087654321")),
        ("callto://+8613800138000", DialedNumber("+8613800138000")),
        ("  138 0013 8000 ", DialedNumber("+8613800138000")),
    ],
)
def test_links_as_written(link, expected):
    assert dialed_number(link) == expected


@pytest.mark.parametrize("link", ["tel:", "tel:call-me", "mailto:+8613800138000", "+86 138", ""])
def test_what_is_no_number_is_refused_quoting_it(link):
    with pytest.raises(InvalidPhoneNumber) as raised:
        dialed_number(link)
    assert raised.value.raw == link.strip()


def test_the_page_shows_the_number_and_its_contact_and_rings_nobody(
    as_employee, member, employee, teammate
):
    Contact.objects.create(owner=employee, name="Li Wei", phone_number="+8613800138000")
    Contact.objects.create(owner=None, name="Front desk", phone_number="+8613800138000")
    Contact.objects.create(owner=teammate, name="Zhao Secret", phone_number="+8613800138000")

    response = as_employee.get("/call", {"number": "tel:+86-138-0013-8000"})

    assert response.status_code == 200
    # Their own first, then the shared one; never a teammate's private contact.
    assert [c.name for c in response.context["contacts"]] == ["Li Wei", "Front desk"]
    assert "Zhao Secret" not in response.content.decode()
    assert b'name="callee" value="+8613800138000"' in response.content
    assert Call.objects.count() == 0


def test_a_number_that_is_none_is_a_400_with_the_text_kept(as_employee, member):
    response = as_employee.get("/call", {"number": "tel:call-me"})

    assert response.status_code == 400
    assert "&#x27;tel:call-me&#x27; is not a phone number" in response.content.decode()
    assert b'value="tel:call-me"' in response.content
    assert b'name="callee"' not in response.content


def test_a_long_query_is_echoed_cut(as_employee, member):
    response = as_employee.get("/call", {"number": "9" * 5000})

    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="call-number" name="number" value="{"9" * 64}"' in page
    assert f"&#x27;{'9' * 64}&#x27; is not a phone number" in page


def test_without_a_member_number_there_is_no_call_button(client, admin_user):
    client.force_login(admin_user)

    response = client.get("/call", {"number": "+8613800138000"})

    assert response.status_code == 200
    assert "no member number" in response.content.decode()
    assert b'name="callee"' not in response.content


def test_anonymous_people_log_in_first_and_come_back_to_the_number(client):
    response = client.get("/call", {"number": "tel:+8613800138000"})

    assert response.status_code == 302
    came_from = "/call%3Fnumber%3Dtel%253A%252B8613800138000"
    assert response["Location"] == f"/accounts/login/?next={came_from}"


def test_a_refused_call_goes_back_to_the_page_it_came_from_if_ours(as_employee, member):
    own = {"callee": member.phone_number}

    back = as_employee.post("/calls/start/", {**own, "next": "/call?number=%2B8613912345673"})
    elsewhere = as_employee.post("/calls/start/", {**own, "next": "https://evil.example/"})

    assert back["Location"] == "/call?number=%2B8613912345673"
    assert elsewhere["Location"] == "/contacts/"
    assert Call.objects.count() == 0
