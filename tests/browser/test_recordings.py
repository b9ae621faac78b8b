"""A recorded call in Chromium: "Recording ready" appears by itself, the player plays and seeks
(served by Range requests), and the download is byte for byte what the operator sent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from audit.models import AuditLogEntry
from calls.models import Call, Contact
from recordings.models import Recording
from tests.browser.conftest import employee_log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("celery_worker"),
]


@pytest.fixture
def contacts(employee) -> None:
    for name, number in [
        ("Li Wei", "+8613800000001"),
        ("Sun Hao", "+8613800000007"),  # the operator's recording fails
        ("Ma Lin", "+8613800000013"),  # the download fails twice, then succeeds
    ]:
        Contact.objects.create(owner=employee, name=name, phone_number=number)


def test_recording_ready_appears_plays_seeks_and_downloads_the_exact_bytes(
    page, live_server, make_sandbox, member, contacts, tmp_path: Path
):
    # Slow enough that the call page is up, and polling, long before the recording exists.
    sandbox = make_sandbox(time_scale=0.1)
    audio_responses = []
    page.on(
        "response",
        lambda r: audio_responses.append(r) if "/recording/" in r.url and "/api/" in r.url else 0,
    )
    employee_log_in(page, live_server)

    page.get_by_role("button", name="Call Li Wei").click()
    expect(page.get_by_role("heading", name="Call to Li Wei")).to_be_visible()
    call_page = page.url
    expect(page.locator(".call-status .big")).to_have_text(re.compile("Calling|Placing"))

    # No reload: the call's status, then the recording's, are polled by the page itself.
    expect(page.get_by_role("heading", name="Recording ready")).to_be_visible(timeout=15_000)
    assert page.url == call_page
    assert audio_responses == []  # preload="none": nothing fetched before the user plays

    page.get_by_role("heading", name="Recording ready").click()  # a user gesture, for play()
    duration = page.evaluate(
        """async () => {
            const audio = document.querySelector("audio");
            await audio.play();
            return audio.duration;
        }"""
    )
    position = page.evaluate(
        """() => new Promise(resolve => {
            const audio = document.querySelector("audio");
            audio.addEventListener("seeked", () => resolve(audio.currentTime), {once: true});
            audio.currentTime = audio.duration / 2;
        })"""
    )
    assert duration == pytest.approx(20, abs=0.1)  # the sandbox recorded 20 s of talk
    assert position == pytest.approx(duration / 2, abs=0.5)
    partial = [r for r in audio_responses if r.status == 206]
    assert partial, [r.status for r in audio_responses]
    assert re.fullmatch(r"bytes \d+-\d+/320044", partial[0].headers["content-range"])

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download").click()
    saved = tmp_path / "recording.wav"
    download_info.value.save_as(saved)

    call = Call.objects.get()
    assert saved.read_bytes() == sandbox.recordings[call.recording_id]
    assert download_info.value.suggested_filename.startswith(f"call-{call.pk}-")
    actions = set(
        AuditLogEntry.objects.filter(object_type="Recording").values_list("action", flat=True)
    )
    assert actions == {"play", "download"}


def test_a_failed_recording_and_a_flaky_download_are_shown_as_they_are(
    page, live_server, make_sandbox, member, contacts, settings
):
    settings.RECORDING_DOWNLOAD_RETRY_DELAY = 1.5
    make_sandbox(time_scale=0.02)
    employee_log_in(page, live_server)

    page.get_by_role("button", name="Call Sun Hao").click()
    expect(
        page.get_by_role("heading", name="No recording: the operator's recording failed")
    ).to_be_visible(timeout=10_000)
    expect(page.locator("audio")).to_have_count(0)

    page.get_by_role("link", name="Contacts").click()
    page.get_by_role("button", name="Call Ma Lin").click()
    expect(
        page.get_by_text(re.compile(r"Attempt \d failed: The operator had an internal error"))
    ).to_be_visible(timeout=10_000)
    expect(page.get_by_role("heading", name="Recording ready")).to_be_visible(timeout=15_000)
    recording = Recording.objects.get(call__callee="+8613800000013")
    assert (recording.status, recording.attempts) == ("ready", 3)
