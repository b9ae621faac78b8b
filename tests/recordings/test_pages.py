"""The recording on the call page (polled until settled), the recordings list, and the admins'
retry and legal-hold buttons."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditLogEntry
from recordings.models import Recording
from tests.recordings.conftest import ended_call, stored_recording

pytestmark = pytest.mark.django_db


def pending(member, **fields) -> Recording:
    call = ended_call(member, callidentifier=fields.pop("callidentifier", "PEND1"))
    return Recording.objects.create(
        call=call,
        operator_result="Success",
        operator_recording_id="r1",
        recorded_at=call.ended_at,
        **fields,
    )


def panel(client, recording: Recording):
    return client.get(reverse("recording-panel", args=[recording.call_id]))


def test_a_pending_recording_keeps_polling(client, employee, member):
    recording = pending(member, attempts=1, last_error="The operator had an internal error.")
    client.force_login(employee)

    response = panel(client, recording)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert "tried again shortly" in html
    assert "Attempt 1 failed: The operator had an internal error." in html


def test_a_ready_recording_stops_polling_and_shows_player_and_download(client, employee, member):
    recording = stored_recording(ended_call(member))
    client.force_login(employee)

    response = panel(client, recording)

    assert response.status_code == 286  # htmx: stop polling
    html = response.content.decode()
    audio_url = reverse("api-call-recording", args=[recording.call_id])
    assert "Recording ready" in html
    assert f'<audio controls preload="none" src="{audio_url}"' in html
    assert f'href="{audio_url}?download=1" download>Download</a>' in html
    assert "WAV, 0:02, 31.3 KB" in html
    assert "hx-trigger" not in html
    assert "legal hold" not in html  # the buttons are for admins


def test_the_call_page_shows_the_recording_once_the_call_is_final(client, employee, member):
    recording = stored_recording(ended_call(member))
    client.force_login(employee)

    html = client.get(reverse("call-detail", args=[recording.call_id])).content.decode()

    assert "Recording ready" in html


def test_an_employee_sees_why_a_download_failed_an_admin_can_retry_it(
    client, employee, admin_user, member, django_capture_on_commit_callbacks, monkeypatch
):
    recording = pending(member, status="failed", attempts=8, last_error="Engine timeout.")
    client.force_login(employee)
    employee_html = panel(client, recording).content.decode()
    enqueued = []
    monkeypatch.setattr(
        "recordings.tasks.recording_download_task.apply_async",
        lambda args, countdown=0: enqueued.append(args),
    )

    assert "Engine timeout. (after 8 attempts)" in employee_html
    assert "An administrator can retry" in employee_html
    assert "Retry download" not in employee_html
    assert client.post(reverse("recording-retry", args=[recording.pk])).status_code == 403

    client.force_login(admin_user)
    assert "Retry download" in panel(client, recording).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("recording-retry", args=[recording.pk]), HTTP_HX_REQUEST="true"
        )

    recording.refresh_from_db()
    assert response.status_code == 200
    assert 'hx-trigger="every 1s"' in response.content.decode()  # polling again
    assert (recording.status, recording.attempts) == ("pending", 0)
    assert enqueued == [(recording.pk,)]
    entry = AuditLogEntry.objects.get(object_type="Recording", action="retry")
    assert entry.actor == admin_user


def test_an_admin_puts_a_recording_on_legal_hold_and_releases_it(client, admin_user, member):
    recording = stored_recording(ended_call(member))
    client.force_login(admin_user)
    hold_url = reverse("recording-hold", args=[recording.pk])

    held = client.post(hold_url, {"hold": "1", "reason": "Dispute 17"}, HTTP_HX_REQUEST="true")
    recording.refresh_from_db()
    assert (recording.legal_hold, recording.legal_hold_reason) == (True, "Dispute 17")
    assert "On legal hold" in held.content.decode()

    client.post(hold_url, {"hold": "0"})
    recording.refresh_from_db()
    assert recording.legal_hold is False
    actions = AuditLogEntry.objects.filter(object_type="Recording").order_by("id")
    assert [e.action for e in actions] == ["hold", "release_hold"]


def test_an_outsider_gets_404_for_the_panel(client, teammate, member):
    recording = stored_recording(ended_call(member))
    client.force_login(teammate)

    assert panel(client, recording).status_code == 404


def test_the_recordings_list_shows_each_person_what_they_may_hear(
    client, employee, teammate, admin_user, finance, grant_all_recordings, member, teammate_member
):
    mine = stored_recording(ended_call(member, callidentifier="MINE"))
    theirs = stored_recording(ended_call(teammate_member, callidentifier="THEIRS", callee_name=""))

    def listed(user) -> str:
        client.force_login(user)
        return client.get(reverse("recording-list")).content.decode()

    employee_html = listed(employee)
    assert reverse("api-call-recording", args=[mine.call_id]) in employee_html
    assert reverse("api-call-recording", args=[theirs.call_id]) not in employee_html
    admin_html = listed(admin_user)
    assert all(
        reverse("api-call-recording", args=[r.call_id]) in admin_html for r in (mine, theirs)
    )
    assert "No recordings" in listed(finance)
    grant_all_recordings(finance)
    finance_html = listed(finance)
    assert reverse("api-call-recording", args=[theirs.call_id]) in finance_html
    assert "+86 138****0001" in finance_html  # numbers masked for finance
    assert "+8613800000001" not in finance_html


def test_the_recordings_list_takes_a_fixed_number_of_queries(
    client, admin_user, member, django_assert_max_num_queries
):
    for n in range(6):
        stored_recording(ended_call(member, callidentifier=f"N{n}"))
    client.force_login(admin_user)

    # session, user, the member filter's choices, count, page with calls and members
    with django_assert_max_num_queries(5):
        response = client.get(reverse("recording-list"))

    assert response.content.decode().count("<audio") == 6


def test_the_admin_list_retries_a_failed_download_in_one_click(
    client, admin_user, member, django_capture_on_commit_callbacks, monkeypatch
):
    failed = pending(member, status="failed", attempts=8, last_error="Engine timeout.")
    ready = stored_recording(ended_call(member, callidentifier="READY"))
    monkeypatch.setattr("recordings.tasks.recording_download_task.apply_async", lambda *a, **k: 0)
    client.force_login(admin_user)
    changelist = reverse("admin:recordings_recording_changelist")

    html = client.get(changelist).content.decode()
    retry_url = reverse("recording-retry", args=[failed.pk])
    assert html.count("Retry download</button>") == 1  # only the failed one has the button
    assert f'formaction="{retry_url}" formmethod="post" name="next" value="{changelist}"' in html

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry_url, {"next": changelist})

    assert (response.status_code, response["Location"]) == (302, changelist)
    failed.refresh_from_db()
    ready.refresh_from_db()
    assert (failed.status, ready.status) == ("pending", "ready")


def not_recorded(member, *, callidentifier: str, status: str = "not_recorded") -> Recording:
    call = ended_call(member, callidentifier=callidentifier, recording_result="NoRecord")
    return Recording.objects.create(
        call=call, operator_result="NoRecord", recorded_at=call.ended_at, status=status
    )


def test_the_recordings_list_leaves_out_calls_with_no_recording(client, admin_user, member):
    kept = stored_recording(ended_call(member, callidentifier="KEPT"))
    nothing = not_recorded(member, callidentifier="NONE")
    failed_at_operator = not_recorded(member, callidentifier="OPFAIL", status="recording_failed")
    client.force_login(admin_user)

    html = client.get(reverse("recording-list")).content.decode()

    assert reverse("call-detail", args=[kept.call_id]) in html
    for recording in (nothing, failed_at_operator):
        assert reverse("call-detail", args=[recording.call_id]) not in html
    assert 'value="not_recorded"' not in html  # nor offered as a status to filter by
    assert "1 recording" in html


def test_the_recordings_list_filters_by_date_range_and_member(
    client, admin_user, member, teammate_member
):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    old = stored_recording(
        ended_call(member, callidentifier="OLD", ended_at=now - timedelta(days=40))
    )
    new = stored_recording(ended_call(member, callidentifier="NEW"))
    theirs = stored_recording(ended_call(teammate_member, callidentifier="THEIRS"))
    client.force_login(admin_user)
    today = timezone.localdate()

    def shown(query: dict) -> set[int]:
        response = client.get(reverse("recording-list"), query)
        assert response.status_code == 200
        html = response.content.decode()
        return {r.call_id for r in (old, new, theirs) if f'/calls/{r.call_id}/"' in html}

    assert shown({}) == {old.call_id, new.call_id, theirs.call_id}
    week_ago = (today - timedelta(days=7)).isoformat()
    assert shown({"from": week_ago}) == {new.call_id, theirs.call_id}
    assert shown({"to": week_ago}) == {old.call_id}
    assert shown({"member": member.pk}) == {old.call_id, new.call_id}
    assert shown({"member": member.pk, "from": week_ago, "to": today.isoformat()}) == {new.call_id}
    html = client.get(reverse("recording-list"), {"from": "2026-02-01", "to": "2026-01-01"})
    assert "The first day must not be after the last day." in html.content.decode()


def test_an_employee_filters_by_date_only_and_never_hears_a_teammate(
    client, employee, member, teammate_member
):
    mine = stored_recording(ended_call(member, callidentifier="MINE"))
    theirs = stored_recording(ended_call(teammate_member, callidentifier="THEIRS"))
    client.force_login(employee)

    html = client.get(reverse("recording-list"), {"member": teammate_member.pk}).content.decode()

    assert 'name="member"' not in html  # their own calls only: nothing to choose between
    assert 'name="from"' in html and 'name="to"' in html
    assert reverse("api-call-recording", args=[mine.call_id]) in html
    assert reverse("api-call-recording", args=[theirs.call_id]) not in html


def test_the_filters_stay_in_the_page_links(client, admin_user, member, monkeypatch):
    monkeypatch.setattr("recordings.views.PAGE_SIZE", 2)
    for n in range(3):
        stored_recording(ended_call(member, callidentifier=f"PAGE{n}"))
    client.force_login(admin_user)

    html = client.get(
        reverse("recording-list"), {"member": member.pk, "from": "2020-01-01"}
    ).content.decode()

    assert f'href="?member={member.pk}&amp;from=2020-01-01&amp;page=2"' in html
    assert "Page 1 of 2" in html
    assert "3 recordings" in html


def test_each_player_has_a_speed_select_driven_by_a_static_script(client, employee, member):
    recording = stored_recording(ended_call(member))
    client.force_login(employee)

    for url in (
        reverse("recording-list"),
        reverse("recording-panel", args=[recording.call_id]),
    ):
        html = client.get(url).content.decode()
        audio_id = f"recording-audio-{recording.call_id}"
        assert f'id="{audio_id}"' in html
        assert f'<select data-playback-for="{audio_id}">' in html
        for speed in ("0.75", "1", "1.25", "1.5", "2"):
            assert f'<option value="{speed}"' in html
        assert "/static/js/recordings.js" in html
        assert "<script>" not in html and " onchange=" not in html  # the CSP forbids inline


@pytest.mark.parametrize("query", [{"to": "9999-12-31"}, {"from": "0001-01-01"}])
def test_a_date_at_the_calendars_end_is_refused_not_a_500(client, admin_user, query):
    client.force_login(admin_user)

    response = client.get(reverse("recording-list"), query)

    assert response.status_code in (200, 400)
    assert "2100-12-31" in response.content.decode() or "2000-01-01" in response.content.decode()
