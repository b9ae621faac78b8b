"""Server-rendered pages: contacts (search, add, edit, import) with Call buttons, the live call
page, the calls history and its exports."""

import uuid
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from calls import contact_import, selectors
from calls.exceptions import CallNotAllowed, ContactForbidden
from calls.forms import CallHistoryForm, CallSettleForm, ContactForm, ContactImportForm
from calls.models import Call, Contact
from calls.services import contacts, dialing, outcomes, placing
from clicktodial_portal import exports
from clicktodial_portal.tables import TableInvalid
from members.models import Member
from members.pool.selectors import minutes_used_in_period
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


def _contact_rows(request: HttpRequest, shown: QuerySet[Contact]) -> list[dict]:
    return [
        {
            "contact": contact,
            "notes": selectors.contact_note_parts(contact.notes),
            "editable": contacts.contact_editable_by(user=request.user, contact=contact),
        }
        for contact in shown
    ]


@login_required
def contact_list(request: HttpRequest) -> HttpResponse:
    """Own and shared contacts, searchable, each with a Call button; and a form to add one."""
    may_share = request.user.is_staff
    form = ContactForm(request.POST or None, may_share=may_share, auto_id="add-%s")
    status = 200
    if request.method == "POST":
        if form.is_valid():
            shared = bool(form.cleaned_data.get("shared"))
            try:
                contact = contacts.contact_create(
                    owner=request.user, shared=shared, **form.contact_fields()
                )
            except CallNotAllowed as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                added = (
                    _("%(name)s was added to the shared contacts.")
                    if shared
                    else _("%(name)s was added to your contacts.")
                )
                messages.success(request, added % {"name": contact.name})
                return redirect("contact-list")
        status = 400
    query = request.GET.get("q", "").strip()
    found = selectors.contacts_search(selectors.contacts_of(request.user), query)
    member = Member.objects.select_related("department").filter(user=request.user).first()
    pool = pool_current()
    if member is not None and member.minutes_cap is not None:
        member.minutes_used = minutes_used_in_period(pool=pool, by="member").get(member.pk, 0)
    return render(
        request,
        "calls/contact_list.html",
        {
            "rows": _contact_rows(request, found),
            "query": query,
            "member": member,
            "pool": pool,
            "form": form,
        },
        status=status,
    )


def _contact_to_change(request: HttpRequest, pk: int) -> Contact:
    """404 for contacts the user cannot see; 403 for shared ones they may see but not change."""
    contact = get_object_or_404(selectors.contacts_of(request.user), pk=pk)
    if not contacts.contact_editable_by(user=request.user, contact=contact):
        raise PermissionDenied(_("Only an administrator can change shared contacts."))
    return contact


@login_required
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact_to_change(request, pk)
    initial = {
        "name": contact.name,
        "company": contact.company,
        "phone_number": contact.phone_number,
        "notes": contact.notes,
    }
    form = ContactForm(request.POST or None, initial=initial, may_share=False)
    if request.method == "POST" and form.is_valid():
        try:
            contacts.contact_update(user=request.user, contact=contact, **form.contact_fields())
        except CallNotAllowed as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("%(name)s was saved.") % {"name": contact.name})
            return redirect("contact-list")
    return render(
        request,
        "calls/contact_edit.html",
        {"contact": contact, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact_to_change(request, pk)
    contacts.contact_delete(user=request.user, contact=contact)
    messages.success(request, _("%(name)s was deleted.") % {"name": contact.name})
    return redirect("contact-list")


CONTACT_IMPORT_SESSION_KEY = "contacts_import"


def _pending_contact_import(
    request: HttpRequest,
) -> tuple[dict | None, list[contact_import.ContactImportRow]]:
    pending = request.session.get(CONTACT_IMPORT_SESSION_KEY)
    if not pending:
        return None, []
    rows = [contact_import.ContactImportRow.from_dict(data) for data in pending["rows"]]
    taken = contact_import.contact_numbers_taken(
        owner=request.user, shared=pending["shared"], rows=rows
    )
    return pending, contact_import.validate_contact_rows(rows, taken=taken)


@login_required
def contact_import_view(request: HttpRequest) -> HttpResponse:
    """Step 1: upload a file and see every row with its errors. Step 2: import all rows, or none."""
    action = request.POST.get("action", "upload")
    if request.method == "POST" and action == "cancel":
        request.session.pop(CONTACT_IMPORT_SESSION_KEY, None)
        return redirect("contact-import")
    if request.method == "POST" and action == "import":
        return _contact_import_confirm(request)

    may_share = request.user.is_staff
    form = ContactImportForm(request.POST or None, request.FILES or None, may_share=may_share)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = contact_import.parse_contact_file(upload.name, upload.read())
        except TableInvalid as exc:
            form.add_error("file", exc.message)
        else:
            request.session[CONTACT_IMPORT_SESSION_KEY] = {
                "id": uuid.uuid4().hex,
                "file_name": upload.name,
                "shared": bool(form.cleaned_data.get("shared")),
                "rows": [row.as_dict() for row in rows],
            }
            return redirect("contact-import")
    if form.errors:
        # A new file was chosen: the previous file's preview no longer applies.
        request.session.pop(CONTACT_IMPORT_SESSION_KEY, None)
    pending, rows = _pending_contact_import(request)
    return render(
        request,
        "calls/contact_import.html",
        {
            "form": form,
            "pending": pending,
            "rows": rows,
            "bad_rows": [row for row in rows if row.errors],
            "columns": contact_import.CONTACT_TABLE.columns,
            "max_rows": contact_import.CONTACT_TABLE.max_rows,
        },
        status=400 if form.errors else 200,
    )


def _contact_import_confirm(request: HttpRequest) -> HttpResponse:
    pending, rows = _pending_contact_import(request)
    if pending is None or request.POST.get("preview") != pending["id"]:
        messages.error(
            request,
            _("That preview is out of date: nothing was imported. Check this one and retry."),
        )
        return redirect("contact-import")
    try:
        imported = contacts.contacts_import(owner=request.user, rows=rows, shared=pending["shared"])
    except ContactForbidden as exc:
        raise PermissionDenied(exc.message) from exc
    except CallNotAllowed:
        messages.error(
            request,
            _(
                "Nothing was imported: some rows have errors now (contacts changed since the "
                "preview). Correct the file and upload it again."
            ),
        )
        return redirect("contact-import")
    request.session.pop(CONTACT_IMPORT_SESSION_KEY, None)
    done = ngettext(
        "Imported %(count)d contact from %(file)s.",
        "Imported %(count)d contacts from %(file)s.",
        len(imported),
    )
    messages.success(request, done % {"count": len(imported), "file": pending["file_name"]})
    return redirect("contact-list")


@login_required
@require_POST
def call_start(request: HttpRequest) -> HttpResponse:
    contact = None
    if request.POST.get("contact"):
        contact = get_object_or_404(selectors.contacts_of(request.user), pk=request.POST["contact"])
    try:
        call = placing.call_start(
            user=request.user, callee=request.POST.get("callee") or None, contact=contact
        )
    except CallNotAllowed as exc:
        messages.error(request, exc.message)
        return redirect("contact-list")
    return redirect("call-detail", pk=call.pk)


def _history_form(request: HttpRequest) -> CallHistoryForm:
    return CallHistoryForm(request.GET, sees_all=selectors.call_history_sees_all(request.user))


def _history_query(request: HttpRequest, **cursor: str) -> str:
    """The request's filters (never its cursor), with `cursor` added, as a query string."""
    query = request.GET.copy()
    for name in ("after", "before"):
        query.pop(name, None)
    query.update(cursor)
    return query.urlencode()


@login_required
def call_list(request: HttpRequest) -> HttpResponse:
    """The calls history: filters in the query string, newest first, keyset pages."""
    form = _history_form(request)
    sees_all = selectors.call_history_sees_all(request.user)
    context = {
        "form": form,
        "sees_all": sees_all,
        "masked": selectors.call_history_masks_numbers(request.user),
        "time_zone": timezone.get_current_timezone_name(),
    }
    if not form.is_valid():
        return render(request, "calls/call_list.html", {**context, "rows": []}, status=400)
    calls = selectors.call_history(user=request.user, filters=form.filters())
    page = selectors.call_history_page(
        calls,
        after=selectors.HistoryCursor.parse(request.GET.get("after", "")),
        before=selectors.HistoryCursor.parse(request.GET.get("before", "")),
        size=selectors.HISTORY_PAGE_SIZE,
    )
    filters_query = _history_query(request)
    return render(
        request,
        "calls/call_list.html",
        {
            **context,
            "rows": list(selectors.call_history_rows(user=request.user, calls=page.calls)),
            "older_query": _history_query(request, after=page.older.token()) if page.older else "",
            "newer_query": _history_query(request, before=page.newer.token()) if page.newer else "",
            "filtered": any(value for key, value in request.GET.items() if key not in CURSORS),
            "csv_href": f"{reverse('call-export-csv')}?{filters_query}",
            "xlsx_href": f"{reverse('call-export-xlsx')}?{filters_query}",
        },
    )


CURSORS = ("after", "before")
# A machine format: the header stays in English whatever the language of the page.
HISTORY_EXPORT_HEADER = [
    "Call",
    "Date and time",
    "Member",
    "Department",
    "Caller",
    "Callee",
    "Contact",
    "Status",
    "Reason",
    "Seconds",
    "Billed minutes",
    "Over the limit",
]
# Rows are read from the database this many at a time while an export streams.
HISTORY_EXPORT_CHUNK = 2000


def _history_export_rows(request: HttpRequest, calls: QuerySet[Call]) -> Iterator[list[object]]:
    rows = selectors.call_history_rows(
        user=request.user, calls=calls.iterator(chunk_size=HISTORY_EXPORT_CHUNK)
    )
    for row in rows:
        yield [
            row.call.pk,
            row.when,
            row.member,
            row.department,
            row.caller,
            row.callee,
            row.contact,
            row.status_label,
            row.call.reason,
            row.call.duration_seconds,
            row.billed_minutes,
            "yes" if row.over_limit else "",
        ]


def _history_export_calls(request: HttpRequest) -> QuerySet[Call] | HttpResponse:
    form = _history_form(request)
    if not form.is_valid():
        errors = " ".join(str(error) for errors in form.errors.values() for error in errors)
        return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")
    return selectors.call_history(user=request.user, filters=form.filters())


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
        header=HISTORY_EXPORT_HEADER,
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
        sheet_title="Calls",
        header=HISTORY_EXPORT_HEADER,
        rows=_history_export_rows(request, calls),
        column_widths=(8, 20, 20, 16, 18, 18, 20, 30, 16, 10, 14, 14),
    )


def _call_context(call: Call, user) -> dict:
    """The call page's (and its live part's) context, for the user reading it."""
    theirs = selectors.call_is_theirs(user, call)
    call = selectors.call_as_seen_by(user, call)
    return {
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


@login_required
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(selectors.call_page_visible_to(request.user), pk=pk)
    context = _call_context(call, request.user)
    if request.user.is_staff and call.status == Call.Status.UNKNOWN:
        context["settle_form"] = CallSettleForm()
    return render(request, "calls/call_detail.html", context)


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
    """The live part of the call page, polled by htmx until the call is final."""
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
