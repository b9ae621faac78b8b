"""Pages for recordings: the call page's recording panel (polled until the recording settles),
the list of recordings, and the admins' retry and legal-hold buttons. The audio itself is served
by recordings.api, to browser sessions and API tokens alike."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from calls.models import Call
from calls.selectors import call_is_theirs, call_page_visible_to
from clicktodial_portal.masking import mask_number
from clicktodial_portal.redirects import redirect_back
from recordings import selectors, services
from recordings.list_filters import RecordingFilterForm
from recordings.models import Recording

# htmx stops polling when a response carries this status: the recording will not change now.
HTMX_STOP_POLLING = 286
PAGE_SIZE = 50
# The player's speeds (static/js/recordings.js sets the <audio>'s playbackRate from the choice).
PLAYBACK_SPEEDS = ("0.75", "1", "1.25", "1.5", "2")


def recording_panel_context(request: HttpRequest, call: Call) -> dict[str, Any]:
    try:
        recording: Recording | None = call.recording
    except ObjectDoesNotExist:
        recording = None
    context: dict[str, Any] = {"call": call, "recording": recording, "request": request}
    if recording is None:
        return context
    audio_url = reverse("api-call-recording", args=[call.pk])
    context.update(
        {
            "label": selectors.recording_status_label(recording),
            "audio_url": audio_url,
            "download_url": f"{audio_url}?download=1",
            "can_manage": request.user.is_staff,
            "can_play": selectors.browser_can_play(recording),
            "duration": selectors.duration_display(recording.duration_ms),
            "size": selectors.size_display(recording.size_bytes),
            "retention_days": settings.RECORDING_RETENTION_DAYS,
            "speeds": PLAYBACK_SPEEDS,
        }
    )
    return context


@login_required
def recording_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The recording part of the call page, polled by htmx until the recording is settled."""
    call = get_object_or_404(call_page_visible_to(request.user).select_related("recording"), pk=pk)
    if not (
        call_is_theirs(request.user, call) or selectors.can_access_all_recordings(request.user)
    ):
        raise Http404
    response = render(request, "recordings/_panel.html", recording_panel_context(request, call))
    recording = getattr(call, "recording", None)
    if recording is None or recording.is_settled:
        response.status_code = HTMX_STOP_POLLING
    return response


@login_required
def recording_list(request: HttpRequest) -> HttpResponse:
    """Recorded calls the user may hear, filtered by date range, member (for those who hear every
    member's) and status; the filters stay in the URL, so across pages too."""
    user = request.user
    sees_all = selectors.can_access_all_recordings(user)
    form = RecordingFilterForm(
        request.GET, members=selectors.recording_list_members(user) if sees_all else None
    )
    if form.is_valid():
        recordings = selectors.recordings_listed(user=user, filters=form.filters())
    else:
        recordings = Recording.objects.none()
    recordings = recordings.select_related("call__member", "call__contact")
    page = Paginator(recordings, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for recording in page:
        call = recording.call
        own = call.member.user_id == user.pk or call.placed_by_id == user.pk
        shown = (lambda n: n) if user.is_staff or own else mask_number
        rows.append(
            {
                "recording": recording,
                "call": call,
                "caller": shown(call.caller),
                "callee": call.callee_name or shown(call.callee),
                "label": selectors.recording_status_label(recording),
                "duration": selectors.duration_display(recording.duration_ms),
                "size": selectors.size_display(recording.size_bytes),
                "audio_url": reverse("api-call-recording", args=[call.pk]),
                "can_play": selectors.browser_can_play(recording),
                "call_visible": user.is_staff or own,
            }
        )
    filtered = form.is_valid() and any(form.cleaned_data.get(name) for name in form.fields)
    return render(
        request,
        "recordings/recording_list.html",
        {
            "page": page,
            "rows": rows,
            "form": form,
            "filtered": filtered,
            "speeds": PLAYBACK_SPEEDS,
        },
    )


def _staff_only(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied(_("Only administrators can do this."))


def _back(request: HttpRequest, recording: Recording) -> HttpResponse:
    """An htmx click gets the panel back; a plain form goes back where it came from."""
    if request.headers.get("HX-Request"):
        call = Call.objects.select_related("recording").get(pk=recording.call_id)
        return render(request, "recordings/_panel.html", recording_panel_context(request, call))
    return redirect_back(request, "call-detail", recording.call_id)


@login_required
@require_POST
def recording_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """One click for an admin: download a failed recording again."""
    _staff_only(request)
    recording = get_object_or_404(Recording, pk=pk)
    try:
        recording = services.recording_retry(recording=recording, actor=request.user)
    except services.RecordingNotAllowed as exc:
        messages.info(request, exc.message)
    else:
        if not request.headers.get("HX-Request"):  # in place, the panel itself shows it
            messages.success(
                request,
                _("The download of call %(call)s's recording restarts.")
                % {"call": recording.call_id},
            )
    return _back(request, recording)


@login_required
@require_POST
def recording_hold(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    recording = get_object_or_404(Recording, pk=pk)
    hold = request.POST.get("hold") == "1"
    try:
        recording = services.recording_hold(
            recording=recording,
            actor=request.user,
            hold=hold,
            reason=request.POST.get("reason", "").strip()
            or f"Held by {request.user.get_username()} on {timezone.localdate():%Y-%m-%d}",
        )
    except services.RecordingNotAllowed as exc:
        messages.info(request, exc.message)
    return _back(request, recording)
