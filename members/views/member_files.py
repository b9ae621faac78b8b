"""Member files for admins: import from CSV or XLSX (upload, preview with every row's errors,
then all rows or none), and export of the filtered list in the same format."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clicktodial_portal import exports
from clicktodial_portal.request_body import body_limit
from clicktodial_portal.tables import TableInvalid, upload_refusal
from members import import_writing, importing
from members.exceptions import MemberInvalid
from members.forms import MemberImportForm
from members.models import Member
from members.views.members import members_listed, staff_required

IMPORT_SESSION_KEY = "members_import"


# Bulk import


def _pending_import(
    request: HttpRequest,
) -> tuple[dict[str, Any] | None, list[importing.ImportRow]]:
    """The uploaded file's rows kept in the session, checked against the database as it is now."""
    pending = request.session.get(IMPORT_SESSION_KEY)
    if not pending:
        return None, []
    rows = [importing.ImportRow.from_dict(data) for data in pending["rows"]]
    return pending, importing.validate_rows(rows, lookups=importing.import_lookups_load(rows))


@body_limit(importing.MEMBER_TABLE.upload_max_bytes, file_upload=True)
@staff_required
def member_import(request: HttpRequest) -> HttpResponse:
    """Step 1: upload a file and see every row with its errors. Step 2: import all rows, or none.

    A file over the limit is refused 413 before it is read: by the request's Content-Length
    (clicktodial_portal.request_body), or by the upload's size (the form's check)."""
    refusal = upload_refusal(request, importing.MEMBER_TABLE)
    if refusal is not None:
        # Unread, and before the CSRF check: the page again with the reason, the session as it
        # was (its preview is left out of this answer only).
        form = MemberImportForm()
        form.cleaned_data = {}  # unbound: nothing was read, nothing else to check
        form.add_error("file", refusal)
        return _member_import_page(request, form, pending=None, rows=[], status=413)

    action = request.POST.get("action", "upload")
    if request.method == "POST" and action == "cancel":
        request.session.pop(IMPORT_SESSION_KEY, None)
        return redirect("member-import")
    if request.method == "POST" and action == "import":
        return _member_import_confirm(request)

    form = MemberImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = importing.parse_member_file(upload.name, upload.read())
        except TableInvalid as exc:
            form.add_error("file", exc.message)
        else:
            request.session[IMPORT_SESSION_KEY] = {
                "id": uuid.uuid4().hex,
                "file_name": upload.name,
                "rows": [row.as_dict() for row in rows],
            }
            return redirect("member-import")

    if form.errors:
        # A new file was chosen: the previous file's preview no longer applies.
        request.session.pop(IMPORT_SESSION_KEY, None)
    pending, rows = _pending_import(request)
    upload = request.FILES.get("file")
    too_big = upload is not None and upload.size > importing.MEMBER_TABLE.max_bytes
    status = 413 if too_big else 400 if form.errors else 200
    return _member_import_page(request, form, pending=pending, rows=rows, status=status)


def _member_import_page(
    request: HttpRequest,
    form: MemberImportForm,
    *,
    pending: dict[str, Any] | None,
    rows: list[importing.ImportRow],
    status: int,
) -> HttpResponse:
    bad_rows = [row for row in rows if row.errors]
    counts = {
        "new": sum(1 for row in rows if row.is_new),
        "updated": sum(1 for row in rows if row.changes),
        "same": sum(1 for row in rows if row.is_unchanged),
    }
    return render(
        request,
        "members/member_import.html",
        {
            "form": form,
            "pending": pending,
            "rows": rows,
            "bad_rows": bad_rows,
            "counts": counts,
            "columns": importing.MEMBER_TABLE.columns,
            "required_columns": importing.MEMBER_TABLE.required,
            "max_rows": importing.MEMBER_TABLE.max_rows,
            "max_megabytes": importing.MEMBER_TABLE.max_bytes // 1024 // 1024,
        },
        status=status,
    )


def _member_import_confirm(request: HttpRequest) -> HttpResponse:
    pending, rows = _pending_import(request)
    if pending is None or request.POST.get("preview") != pending["id"]:
        messages.error(
            request,
            _("That preview is out of date: nothing was imported. Check this one and retry."),
        )
        return redirect("member-import")
    if any(row.errors for row in rows):
        messages.error(
            request,
            _(
                "Nothing was imported: some rows have errors now (members or departments changed "
                "since the preview). Correct the file and upload it again."
            ),
        )
        return redirect("member-import")
    try:
        result = import_writing.members_import(actor=request.user, rows=rows)
    except MemberInvalid as exc:
        messages.error(request, exc.message)
        return redirect("member-import")
    request.session.pop(IMPORT_SESSION_KEY, None)
    file_name = pending["file_name"]
    if not (result.created or result.updated):
        messages.success(
            request,
            _("%(file)s matches the members as they are: nothing changed.") % {"file": file_name},
        )
    else:
        messages.success(
            request,
            _("%(file)s imported: %(created)s, %(updated)s.")
            % {
                "file": file_name,
                "created": ngettext("%(count)s new member", "%(count)s new members", result.created)
                % {"count": result.created},
                "updated": ngettext(
                    "%(count)s member updated", "%(count)s members updated", result.updated
                )
                % {"count": result.updated},
            },
        )
    return redirect("member-list")


# Export


def _export_values(member: Member) -> tuple[str, str, str, str, str, int | None, str]:
    """One member as a row under the import's columns, so that an export re-imports: the status
    in words for people and, beside it, its code (which the import reads first)."""
    return (
        member.name,
        member.phone_number,
        member.department.name if member.department else "",
        member.get_status_display(),
        member.status,
        member.minutes_cap,
        member.user.get_username() if member.user else "",
    )


@staff_required
def member_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The members the list page shows with the same filters, as CSV (streamed) or XLSX, under
    the import's header (clicktodial_portal.exports guards cells a spreadsheet would run)."""
    members = members_listed(request.GET)[0]
    filename = f"members-{timezone.localdate():%Y-%m-%d}.{fmt}"
    rows = (_export_values(member) for member in members.iterator(chunk_size=1000))
    # In the reader's language; the import reads these words back in any language.
    header = importing.MEMBER_TABLE.header_words()
    if fmt == "csv":
        return exports.csv_response(filename=filename, header=header, rows=rows)
    if fmt != "xlsx":
        raise Http404
    return exports.xlsx_response(
        filename=filename,
        sheet_title=_("Members"),
        header=header,
        rows=rows,
        column_widths=(28, 18, 20, 12, 12, 12, 16),
    )
