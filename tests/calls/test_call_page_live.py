"""A call's live page (calls/views/call_pages.py): one permanent status region outside what the
polls morph, the talk timer while connected, the wrap-up form and "Call again" sent with the poll
that finds the call ended, and polling stopped once it is final."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.models import Call, Contact

pytestmark = pytest.mark.django_db

STATUS_REGION = re.compile(r'<p id="call-status-text" [^>]*role="status"[^>]*>([^<]*)</p>')


@pytest.fixture
def liu_yang(employee) -> Contact:
    return Contact.objects.create(owner=employee, name="Liu Yang", phone_number="+8613800000006")


def placed(member, contact=None, **fields) -> Call:
    return Call.objects.create(
        member=member,
        contact=contact,
        placed_by=member.user,
        sponsor="+861052680000",
        caller=member.phone_number,
        callee=contact.phone_number if contact else "+8613800000006",
        callee_name=contact.name if contact else "",
        **fields,
    )


def connected(member, contact=None, *, seconds: int = 65) -> Call:
    return placed(
        member,
        contact,
        status=Call.Status.CONNECTED,
        connected_at=timezone.now() - timedelta(seconds=seconds),
    )


def ended(member, contact=None) -> Call:
    return placed(
        member,
        contact,
        status=Call.Status.ENDED,
        reason="HangUp",
        connected_at=timezone.now() - timedelta(seconds=20),
        ended_at=timezone.now(),
        duration_seconds=20,
    )


def page_of(client, call: Call) -> str:
    return client.get(reverse("call-detail", args=[call.pk])).content.decode()


def test_the_page_has_one_status_region_outside_the_polled_part(as_employee, member):
    call = connected(member)

    page = page_of(as_employee, call)

    assert page.count('role="status"') == 1
    assert STATUS_REGION.search(page).group(1) == "Connected"
    assert page.index('id="call-status-text"') < page.index('id="call-live"')
    assert 'hx-swap="morph:innerHTML"' in page
    assert 'hx-ext="morph"' in page
    assert "vendor/idiomorph-ext-" in page


def test_a_poll_answers_the_live_part_with_the_status_words_out_of_band(as_employee, member):
    call = connected(member)

    response = as_employee.get(reverse("call-status", args=[call.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="call-live"' not in body  # its inside only, morphed into it
    assert STATUS_REGION.search(body).group(1) == "Connected"
    oob_status = '<p id="call-status-text" class="big status status-connected" role="status"'
    assert f'{oob_status} aria-live="polite" hx-swap-oob="morph">' in body
    assert '<div id="call-wrapup-slot" data-live-keep-form hx-swap-oob="morph">' in body
    assert 'id="call-hangup-button"' in body


def test_polling_stops_once_the_call_is_final(as_employee, member):
    call = ended(member)

    response = as_employee.get(reverse("call-status", args=[call.pk]))
    page = page_of(as_employee, call)

    assert response.status_code == 286  # htmx: stop polling
    assert "hx-trigger" not in page.split('id="call-live"')[1].split(">")[0]


def test_the_talk_timer_shows_the_time_at_render_and_counts_on_from_it(as_employee, member):
    call = connected(member, seconds=65)

    page = page_of(as_employee, call)

    timer = re.search(r'<time id="talk-timer"[^>]*>([^<]*)</time>', page)
    assert timer.group(1) in ("1 min 05 s", "1 min 06 s")
    elapsed = float(re.search(r'data-elapsed="([\d.]+)"', timer.group(0)).group(1))
    assert 65 <= elapsed < 67
    # The server's patterns, for the browser to write the same words.
    assert 'data-format-minutes="%(minutes)d min %(seconds)02d s"' in timer.group(0)
    assert "Talk time" in page


def test_the_talk_timer_speaks_the_pages_language(as_employee, member):
    call = connected(member, seconds=65)

    page = as_employee.get(
        reverse("call-detail", args=[call.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()

    assert "通话时长" in page
    assert re.search(r'<time id="talk-timer"[^>]*>1 ?分 ?0?[56] ?秒</time>', page)


@pytest.mark.parametrize("status", ["calling_callee", "ended"])
def test_no_timer_before_the_answer_or_after_the_end(as_employee, member, status):
    call = placed(member, status=status, ended_at=timezone.now() if status == "ended" else None)

    assert 'id="talk-timer"' not in page_of(as_employee, call)


def test_the_poll_that_finds_the_call_ended_brings_the_wrap_up_and_call_again(
    as_employee, member, liu_yang
):
    call = connected(member, liu_yang)
    live = as_employee.get(reverse("call-status", args=[call.pk])).content.decode()
    assert "How did the call go?" not in live
    assert "Call again" not in live

    Call.objects.filter(pk=call.pk).update(
        status=Call.Status.ENDED, reason="HangUp", ended_at=timezone.now(), duration_seconds=65
    )
    body = as_employee.get(reverse("call-status", args=[call.pk])).content.decode()

    assert "How did the call go?" in body
    assert f'action="{reverse("call-wrapup", args=[call.pk])}"' in body
    assert STATUS_REGION.search(body).group(1) == "Ended (hung up, 1 min 05 s)"
    assert 'id="call-hangup-button"' not in body
    # "Call again": the contacts page's own form, naming the same contact.
    again = re.search(
        r'<form id="call-again" method="post" action="([^"]+)">(.*?)</form>', body, re.S
    )
    assert again.group(1) == reverse("call-start")
    assert f'name="contact" value="{liu_yang.pk}"' in again.group(2)
    assert "Call again" in again.group(2)


def test_call_again_places_a_new_call_to_the_same_contact(as_employee, member, liu_yang, sandbox):
    first = ended(member, liu_yang)

    response = as_employee.post(reverse("call-start"), {"contact": liu_yang.pk})

    second = Call.objects.exclude(pk=first.pk).get()
    assert response.status_code == 302
    assert response.url == reverse("call-detail", args=[second.pk])
    assert (second.contact, second.callee) == (liu_yang, first.callee)


def test_call_again_without_the_contact_calls_the_number(as_employee, member, liu_yang):
    call = ended(member, liu_yang)
    liu_yang.delete()

    page = page_of(as_employee, call)

    assert '<input type="hidden" name="callee" value="+8613800000006">' in page
    assert 'name="contact"' not in page.split('id="call-again"')[1].split("</form>")[0]


def test_no_call_again_while_the_call_is_live(as_employee, member):
    assert "Call again" not in page_of(as_employee, connected(member))


def test_an_admin_reading_someone_elses_call_is_not_offered_call_again(client, admin_user, member):
    call = ended(member)
    client.force_login(admin_user)

    page = page_of(client, call)

    assert "How did the call go?" in page  # an admin may still note how it went
    assert "Call again" not in page  # it would ring from the admin's own number


def test_an_htmx_hang_up_answers_the_live_part_and_keeps_the_button(as_employee, member, sandbox):
    call = connected(member)
    Call.objects.filter(pk=call.pk).update(callidentifier="c-1")

    response = as_employee.post(reverse("call-hangup", args=[call.pk]), HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200
    assert 'hx-swap-oob="morph"' in body
    assert "<html" not in body
