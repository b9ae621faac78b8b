"""The contacts pages: the list (search, sort, keyset pages, add, Call buttons), edit, delete one
or several after a confirmation, and import (upload, preview with every row's errors, then all or
none)."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from calls import contact_import, contact_selectors
from calls.exceptions import CallNotAllowed, ContactForbidden
from calls.forms import (
    ContactForm,
    ContactImportForm,
)
from calls.models import Contact
from calls.services import contacts
from clicktodial_portal.request_body import body_limit
from clicktodial_portal.tables import TableInvalid, size_check, upload_refusal
from members.models import Member
from members.pool.selectors import minutes_used_in_period
from members.pool.services import pool_current


def _contact_rows(request: HttpRequest, shown: list[Contact]) -> list[dict]:
    duplicated = contact_selectors.contact_numbers_duplicated(
        request.user, (contact.phone_number for contact in shown)
    )
    return [
        {
            "contact": contact,
            "notes": contact_selectors.contact_note_parts(contact.notes),
            "editable": contacts.contact_editable_by(user=request.user, contact=contact),
            "duplicate": contact.phone_number in duplicated,
        }
        for contact in shown
    ]


def _contact_list_query(*, query: str, sort: str, **cursor: str) -> str:
    """The page's search and sort (the default left out), with `cursor` added, as a query
    string."""
    params = {
        "q": query,
        "sort": "" if sort == contact_selectors.CONTACT_SORT_DEFAULT else sort,
        **cursor,
    }
    return urlencode({key: value for key, value in params.items() if value})


def _contact_list_url(*, query: str, sort: str) -> str:
    params = _contact_list_query(query=query, sort=contact_selectors.contact_sort_parse(sort))
    return reverse("contact-list") + (f"?{params}" if params else "")


def _contact_sort_links(*, query: str, sort: str) -> dict[str, dict[str, str]]:
    """Each column's link (ascending first, then the other way) and its aria-sort value."""
    links = {}
    for column in contact_selectors.CONTACT_SORT_FIELDS:
        ascending = sort == column
        links[column] = {
            "query": _contact_list_query(query=query, sort=f"-{column}" if ascending else column),
            "aria": "ascending" if ascending else "descending" if sort == f"-{column}" else "",
        }
    return links


@login_required
def contact_list(request: HttpRequest) -> HttpResponse:
    """Own and shared contacts, searched, sorted and in pages (all kept in the query string), each
    with a Call button; a form to add one at the top; checkboxes to delete several."""
    may_share = request.user.is_staff
    form = ContactForm(request.POST or None, may_share=may_share, auto_id="add-%s")
    status = 200
    query = request.GET.get("q", "").strip()
    sort = contact_selectors.contact_sort_parse(request.GET.get("sort", ""))
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
                return redirect(_contact_list_url(query=query, sort=sort))
        status = 400
    page = contact_selectors.contacts_page(
        contact_selectors.contacts_search(contact_selectors.contacts_of(request.user), query),
        sort=sort,
        after=contact_selectors.ContactCursor.parse(request.GET.get("after", ""), sort=sort),
        before=contact_selectors.ContactCursor.parse(request.GET.get("before", ""), sort=sort),
        size=contact_selectors.CONTACTS_PAGE_SIZE,
    )
    member = Member.objects.select_related("department").filter(user=request.user).first()
    pool = pool_current()
    if member is not None and member.minutes_cap is not None:
        member.minutes_used = minutes_used_in_period(pool=pool, by="member").get(member.pk, 0)
    rows = _contact_rows(request, page.contacts)
    return render(
        request,
        "calls/contact_list.html",
        {
            "rows": rows,
            "page": page,
            "query": query,
            "sort": sort,
            "sort_links": _contact_sort_links(query=query, sort=sort),
            "next_query": page.next
            and _contact_list_query(query=query, sort=sort, after=page.next.token()),
            "previous_query": page.previous
            and _contact_list_query(query=query, sort=sort, before=page.previous.token()),
            "deletable": any(row["editable"] for row in rows),
            "member": member,
            "pool": pool,
            "form": form,
        },
        status=status,
    )


def _contact_to_change(request: HttpRequest, pk: int) -> Contact:
    """404 for contacts the user cannot see; 403 for shared ones they may see but not change."""
    contact = get_object_or_404(contact_selectors.contacts_of(request.user), pk=pk)
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
@require_http_methods(["GET", "POST"])
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks to confirm (a page, so it works without JavaScript); POST deletes."""
    contact = _contact_to_change(request, pk)
    if request.method == "GET":
        return render(
            request,
            "calls/contact_delete_confirm.html",
            {
                "contacts": [contact],
                "action": reverse("contact-delete", args=[contact.pk]),
                "back": reverse("contact-edit", args=[contact.pk]),
            },
        )
    contacts.contact_delete(user=request.user, contact=contact)
    messages.success(request, _("%(name)s was deleted.") % {"name": contact.name})
    return redirect("contact-list")


@login_required
@require_POST
def contact_bulk_delete(request: HttpRequest) -> HttpResponse:
    """The contacts ticked on the list: first a page to confirm them, then (`confirmed`) deleted
    all at once. Any the user cannot see is 404, a shared one for a non-admin 403."""
    query, sort = request.POST.get("q", ""), request.POST.get("sort", "")
    back = _contact_list_url(query=query, sort=sort)
    try:
        ids = {int(pk) for pk in request.POST.getlist("contact")}
    except ValueError:
        return HttpResponseBadRequest()
    if not ids:
        messages.info(request, _("Tick the contacts to delete first."))
        return redirect(back)
    chosen = list(contact_selectors.contacts_of(request.user).filter(pk__in=ids))
    if len(chosen) != len(ids):
        raise Http404
    if not all(contacts.contact_editable_by(user=request.user, contact=c) for c in chosen):
        raise PermissionDenied(_("Only an administrator can delete shared contacts."))
    if request.POST.get("confirmed") != "1":
        return render(
            request,
            "calls/contact_delete_confirm.html",
            {
                "contacts": chosen,
                "action": reverse("contact-bulk-delete"),
                "bulk": True,
                "query": query,
                "sort": sort,
                "back": back,
            },
        )
    try:
        deleted = contacts.contacts_delete(user=request.user, contact_ids=ids)
    except ContactForbidden as exc:
        raise PermissionDenied(exc.message) from exc
    messages.success(
        request,
        ngettext("%(count)d contact was deleted.", "%(count)d contacts were deleted.", deleted)
        % {"count": deleted},
    )
    return redirect(back)


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


@body_limit(contact_import.CONTACT_TABLE.upload_max_bytes, file_upload=True)
@login_required
def contact_import_view(request: HttpRequest) -> HttpResponse:
    """Step 1: upload a file and see every row with its errors. Step 2: import all rows, or none.

    A file over the limit is refused 413 before it is read: by the request's Content-Length
    (clicktodial_portal.request_body), or by the upload's size, before the file is read."""
    may_share = request.user.is_staff
    refusal = upload_refusal(request, contact_import.CONTACT_TABLE)
    if refusal is not None:
        # Unread, and before the CSRF check: the page again with the reason, the session as it
        # was (its preview is left out of this answer only).
        form = ContactImportForm(may_share=may_share)
        form.cleaned_data = {}  # unbound: nothing was read, nothing else to check
        form.add_error("file", refusal)
        return _contact_import_page(request, form, pending=None, rows=[], status=413)

    action = request.POST.get("action", "upload")
    if request.method == "POST" and action == "cancel":
        request.session.pop(CONTACT_IMPORT_SESSION_KEY, None)
        return redirect("contact-import")
    if request.method == "POST" and action == "import":
        return _contact_import_confirm(request)

    form = ContactImportForm(request.POST or None, request.FILES or None, may_share=may_share)
    too_big = False
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            size_check(upload.size, contact_import.CONTACT_TABLE)
        except TableInvalid as exc:
            form.add_error("file", exc.message)
            too_big = True
        else:
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
    status = 413 if too_big else 400 if form.errors else 200
    return _contact_import_page(request, form, pending=pending, rows=rows, status=status)


def _contact_import_page(
    request: HttpRequest,
    form: ContactImportForm,
    *,
    pending: dict | None,
    rows: list[contact_import.ContactImportRow],
    status: int,
) -> HttpResponse:
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
        status=status,
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
