"""The calls pages: where each person starts, placing a call, the history (filters, sorts, keyset
pages, CSV/XLSX), a call's live page with its hang-up, wrap-up and settling."""

from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from calls import contact_selectors, history, selectors
from calls.exceptions import CallNotAllowed
from calls.forms import (
    CallHistoryForm,
    CallSettleForm,
    CallWrapupForm,
)
from calls.models import Call
from calls.services import dialing, outcomes, placing, wrapup
from clicktodial_portal import exports
from clicktodial_portal.error_pages import export_refused
from clicktodial_portal.redirects import redirect_back
from members.models import Member
from members.pool.services import pool_current
from recordings.selectors import can_access_all_recordings

# htmx stops polling when a response carries this status: the call is over, nothing will change.
HTMX_STOP_POLLING = 286


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where each person starts: callers at contacts, admins at the dashboard, finance at usage."""
    from members.roles import can_see_usage

    if Member.objects.filter(user=request.user).exists():
        return redirect("contact-list")
    if request.user.is_staff:
        return redirect("dashboard")
    if can_see_usage(request.user):
        return redirect("report-usage")
    return redirect("contact-list")


@login_required
@require_POST
def call_start(request: HttpRequest) -> HttpResponse:
    contact = None
    if request.POST.get("contact"):
        contact = get_object_or_404(
            contact_selectors.contacts_of(request.user), pk=request.POST["contact"]
        )
    try:
        call = placing.call_start(
            user=request.user, callee=request.POST.get("callee") or None, contact=contact
        )
    except CallNotAllowed as exc:
        messages.error(request, exc.message)
        return redirect_back(request, "contact-list")
    return redirect("call-detail", pk=call.pk)


def _history_form(request: HttpRequest) -> CallHistoryForm:
    return CallHistoryForm(request.GET, sees_all=selectors.call_history_sees_all(request.user))


def _history_query(request: HttpRequest, **changes: str) -> str:
    """The request's filters and sort (never its cursor), with `changes` made (a cursor, another
    sort; "" drops a name), as a query string."""
    query = request.GET.copy()
    for name in CURSORS:
        query.pop(name, None)
    for name, value in changes.items():
        query.pop(name, None)
        if value:
            query[name] = value
    return query.urlencode()


# Which way a column sorts when first clicked: the newest and longest calls first, members A to Z.
HISTORY_SORT_FIRST = {"date": "-date", "duration": "-duration", "member": "member"}


def _history_sort_links(request: HttpRequest, sort: str) -> dict[str, dict[str, str]]:
    """Each sortable column's link (its first order, then the other way) and its aria-sort."""
    links = {}
    for column, first in HISTORY_SORT_FIRST.items():
        other = first[1:] if first.startswith("-") else f"-{first}"
        target = other if sort == first else first
        links[column] = {
            "query": _history_query(
                request, sort="" if target == history.HISTORY_SORT_DEFAULT else target
            ),
            "aria": "ascending" if sort == column else "descending" if sort == f"-{column}" else "",
        }
    return links


@login_required
def call_list(request: HttpRequest) -> HttpResponse:
    """The calls history: filters and sort in the query string (newest first unless chosen
    otherwise), a total, keyset pages."""
    form = _history_form(request)
    sees_all = selectors.call_history_sees_all(request.user)
    sort = form.sort_order
    context = {
        "form": form,
        "sees_all": sees_all,
        "sort": sort,
        "sort_links": _history_sort_links(request, sort),
        "masked": selectors.call_history_masks_numbers(request.user),
        "time_zone": timezone.get_current_timezone_name(),
    }
    if not form.is_valid():
        return render(request, "calls/call_list.html", {**context, "rows": []}, status=400)
    calls = history.call_history(user=request.user, filters=form.filters(), sort=sort)
    page = history.call_history_page(
        calls,
        sort=sort,
        after=history.HistoryCursor.parse(request.GET.get("after", ""), sort=sort),
        before=history.HistoryCursor.parse(request.GET.get("before", ""), sort=sort),
        size=history.HISTORY_PAGE_SIZE,
    )
    rows = history.call_history_rows(
        user=request.user, calls=page.calls, hears_all=can_access_all_recordings(request.user)
    )
    filters_query = _history_query(request)
    return render(
        request,
        "calls/call_list.html",
        {
            **context,
            "page": page,
            "rows": list(rows),
            "older_query": _history_query(request, after=page.next.token()) if page.next else "",
            "newer_query": (
                _history_query(request, before=page.previous.token()) if page.previous else ""
            ),
            "filtered": any(
                value for key, value in request.GET.items() if key not in (*CURSORS, "sort")
            ),
            "csv_href": f"{reverse('call-export-csv')}?{filters_query}",
            "xlsx_href": f"{reverse('call-export-xlsx')}?{filters_query}",
        },
    )


CURSORS = ("after", "before")


def history_export_header() -> list[str]:
    """The export's header in the reader's language. Beside each column of words derived from a
    code sits that code ("… code"), the same in every language: the columns programs read (the
    README's "Exports")."""
    return [
        _("Call"),
        _("Date and time"),
        _("Member"),
        _("Department"),
        _("Caller"),
        _("Callee"),
        _("Contact"),
        _("Status"),
        _("Status code"),
        _("Reason"),
        _("Reason code"),
        _("Seconds"),
        _("Billed minutes"),
        _("Over the limit"),
        _("Recording"),
        _("Recording code"),
        _("Outcome"),
        _("Outcome code"),
        _("Notes"),
    ]


# Rows are read from the database this many at a time while an export streams.
HISTORY_EXPORT_CHUNK = 2000


def _history_export_rows(request: HttpRequest, calls: QuerySet[Call]) -> Iterator[list[object]]:
    rows = history.call_history_rows(
        user=request.user, calls=calls.iterator(chunk_size=HISTORY_EXPORT_CHUNK)
    )
    for row in rows:
        call = row.call
        yield [
            call.pk,
            row.when,
            row.member,
            row.department,
            row.caller,
            row.callee,
            row.contact,
            # The status alone: its reason and length have their own columns.
            call.get_status_display(),
            call.status,
            selectors.reason_export_words(call.reason, row.reason),
            call.reason,
            call.duration_seconds,
            row.billed_minutes,
            _("Yes") if row.over_limit else _("No"),
            row.recording_label,
            row.recording_status,
            row.outcome,
            row.outcome_code,
            row.notes,
        ]


def _history_export_calls(request: HttpRequest) -> QuerySet[Call] | HttpResponse:
    form = _history_form(request)
    if not form.is_valid():
        return export_refused(request, form, "call-list")
    return history.call_history(user=request.user, filters=form.filters(), sort=form.sort_order)


def _history_filename(extension: str) -> str:
    return f"calls-{timezone.localtime():%Y%m%d-%H%M}.{extension}"


@login_required
def call_export_csv(request: HttpRequest) -> HttpResponse:
    """Every call of the filtered history (all its pages), streamed as CSV."""
    calls = _history_export_calls(request)
    if isinstance(calls, HttpResponse):
        return calls
    return exports.csv_response(
        filename=_history_filename("csv"),
        header=history_export_header(),
        rows=_history_export_rows(request, calls),
    )


@login_required
def call_export_xlsx(request: HttpRequest) -> HttpResponse:
    """Every call of the filtered history (all its pages) as XLSX, spooled then streamed."""
    calls = _history_export_calls(request)
    if isinstance(calls, HttpResponse):
        return calls
    return exports.xlsx_response(
        filename=_history_filename("xlsx"),
        sheet_title=_("Calls"),
        header=history_export_header(),
        rows=_history_export_rows(request, calls),
        column_widths=(8, 20, 20, 16, 18, 18, 20, 14, 14, 30, 16, 10, 14, 14, 20, 14, 16, 14, 40),
    )


def _call_again(call: Call, user) -> dict[str, object]:
    """What "Call again" posts, as the contacts page does: the contact if the caller still has
    it (else call_start would answer 404), the number otherwise."""
    if call.contact_id and contact_selectors.contacts_of(user).filter(pk=call.contact_id).exists():
        return {"contact": call.contact_id}
    return {"callee": call.callee}


def _call_context(call: Call, user) -> dict:
    """The call page's (and its live part's) context, for the user reading it."""
    theirs = selectors.call_is_theirs(user, call)
    call = selectors.call_as_seen_by(user, call)
    context = {
        "call": call,
        # Finance read others' calls: no hanging up, the recording only if they may hear all.
        "can_act": theirs,
        "can_hear": theirs or can_access_all_recordings(user),
        "status_label": selectors.call_status_label(call),
        "timeline": selectors.call_timeline(call),
        "callee": selectors.callee_display(call),
        "duration": selectors.duration_display(call.duration_seconds),
        # The balance below the call moves when it ends, without a reload.
        "pool": pool_current(),
    }
    if call.status == Call.Status.CONNECTED and call.connected_at:
        # Fractions kept: the browser's timer goes on from here without stepping back a second.
        elapsed = max((timezone.now() - call.connected_at).total_seconds(), 0.0)
        context.update(
            talk_time=selectors.duration_display(int(elapsed)),
            talk_seconds=int(elapsed),
            talk_elapsed=f"{elapsed:.3f}",
            duration_formats=selectors.duration_formats(),
        )
    if call.is_final and theirs:
        # Sent with every poll, so that the wrap-up form appears the moment the call ends.
        context["wrapup_form"] = CallWrapupForm(call=call)
    if call.is_final and selectors.call_placed_by(user, call):
        # Only its caller: an admin reading the call would place it from their own number.
        context["call_again"] = _call_again(call, user)
    return context


@login_required
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(selectors.call_page_visible_to(request.user), pk=pk)
    context = _call_context(call, request.user)
    if request.user.is_staff and call.status == Call.Status.UNKNOWN:
        context["settle_form"] = CallSettleForm()
    return render(request, "calls/call_detail.html", context)


@login_required
@require_POST
def call_wrapup(request: HttpRequest, pk: int) -> HttpResponse:
    """The caller (or an admin) notes how a call went: an outcome and notes (audited)."""
    call = get_object_or_404(selectors.calls_visible_to(request.user), pk=pk)
    form = CallWrapupForm(request.POST, call=call)
    if form.is_valid():
        try:
            wrapup.call_wrapup_record(
                actor=request.user,
                call_id=call.pk,
                outcome=form.cleaned_data["outcome"],
                notes=form.cleaned_data["notes"],
            )
        except CallNotAllowed as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Saved how the call went."))
            return redirect("call-detail", pk=call.pk)
    context = {**_call_context(call, request.user), "wrapup_form": form}
    return render(request, "calls/call_detail.html", context, status=400)


@login_required
@require_POST
def call_settle(request: HttpRequest, pk: int) -> HttpResponse:
    """An admin gives a call of unknown outcome the one its people know (audited)."""
    call = get_object_or_404(selectors.calls_visible_to(request.user), pk=pk)
    if not request.user.is_staff:
        raise PermissionDenied
    form = CallSettleForm(request.POST)
    if form.is_valid():
        try:
            outcomes.call_settle(
                actor=request.user,
                call_id=call.pk,
                outcome=outcomes.Settlement(form.cleaned_data["outcome"]),
                duration_seconds=form.cleaned_data["duration_seconds"],
            )
        except CallNotAllowed as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The call was settled; the audit log keeps who did it."))
            return redirect("call-detail", pk=call.pk)
    # Refused: the service changed nothing, so the call read above is still as it is.
    context = {**_call_context(call, request.user), "settle_form": form}
    return render(request, "calls/call_detail.html", context, status=400)


@login_required
def call_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The live part of the call page, polled by htmx until the call is final: the part itself,
    and out of band its status words and wrap-up slot (templates/calls/_call_status.html)."""
    call = get_object_or_404(selectors.call_page_visible_to(request.user), pk=pk)
    response = render(request, "calls/_call_status.html", _call_context(call, request.user))
    if call.is_final:
        response.status_code = HTMX_STOP_POLLING
    return response


@login_required
@require_POST
def call_hang_up(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(selectors.calls_visible_to(request.user), pk=pk)
    try:
        call = dialing.call_hang_up(call=call)
    except CallNotAllowed as exc:
        messages.info(request, exc.message)
    if request.headers.get("HX-Request"):
        return render(request, "calls/_call_status.html", _call_context(call, request.user))
    return redirect("call-detail", pk=call.pk)
