"""Member management pages for admins: members, departments, business numbers, bulk import,
export, and the audit log. Every write goes through members.services, which audits it.
"""

from __future__ import annotations

import csv
import re
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext, pgettext_lazy
from django.views.decorators.http import require_POST
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from calls.models import Call
from calls.selectors import REASON_LABELS
from members import import_writing, importing, services
from members.forms import BusinessNumberForm, DepartmentForm, MemberForm, MemberImportForm
from members.models import AuditLogEntry, BusinessNumber, Department, Member, MinutePool
from members.selectors import minutes_used_in_period

PAGE_SIZE = 50
IMPORT_SESSION_KEY = "members_import"
NO_DEPARTMENT = "none"


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Admins only: anonymous people are sent to log in, everyone else gets 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise PermissionDenied(_("Member management is for administrators."))
        return view(request, *args, **kwargs)

    return wrapped


def _invalid_to_form(form: Any, exc: services.MemberInvalid) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Back to the page the button was on (with its filters), if that page is ours."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


# Members


@dataclass(frozen=True)
class MemberFilters:
    status: str = ""
    department: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, query: QueryDict) -> MemberFilters:
        status = query.get("status", "")
        department = query.get("department", "")
        return cls(
            status=status if status in Member.Status.values else "",
            department=department if department == NO_DEPARTMENT or department.isdigit() else "",
            q=query.get("q", "").strip(),
        )

    def apply(self, members: QuerySet[Member]) -> QuerySet[Member]:
        if self.status:
            members = members.filter(status=self.status)
        if self.department == NO_DEPARTMENT:
            members = members.filter(department__isnull=True)
        elif self.department:
            members = members.filter(department_id=int(self.department))
        if self.q:
            matches = Q(name__icontains=self.q)
            digits = re.sub(r"[^\d]", "", self.q)
            if digits:
                matches |= Q(phone_number__contains=digits)
            members = members.filter(matches)
        return members


def _members_listed(query: QueryDict) -> tuple[QuerySet[Member], MemberFilters]:
    filters = MemberFilters.from_query(query)
    members = Member.objects.select_related("department", "user").order_by("name", "id")
    return filters.apply(members), filters


@staff_required
def member_list(request: HttpRequest) -> HttpResponse:
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.member_create(actor=request.user, **form.service_fields())
        except services.MemberInvalid as exc:
            _invalid_to_form(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s (%(number)s) was added.")
                % {"name": member.name, "number": member.phone_number},
            )
            return redirect("member-list")
    members, filters = _members_listed(request.GET)
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    used = minutes_used_in_period(pool=services.pool_current(), by="member")
    for member in page:
        member.minutes_used = used.get(member.pk, 0)
    return render(
        request,
        "members/member_list.html",
        {
            "page": page,
            "filters": filters,
            "statuses": Member.Status.choices,
            "departments": list(Department.objects.only("id", "name")),
            "no_department": NO_DEPARTMENT,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@staff_required
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(Member.objects.select_related("department", "user"), pk=pk)
    form = MemberForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_update(actor=request.user, member=member, **form.service_fields())
        except services.MemberInvalid as exc:
            _invalid_to_form(form, exc)
        else:
            messages.success(request, _("%(name)s was saved.") % {"name": member.name})
            return redirect("member-list")
    return render(
        request,
        "members/member_edit.html",
        {"member": member, "form": form},
        status=400 if form.errors else 200,
    )


@staff_required
@require_POST
def member_suspend(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(Member, pk=pk)
    services.member_update(actor=request.user, member=member, status=Member.Status.SUSPENDED)
    messages.success(
        request,
        _("%(name)s was suspended: they cannot place calls until reactivated.")
        % {"name": member.name},
    )
    return _back(request, "member-list")


@staff_required
@require_POST
def member_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(Member, pk=pk)
    services.member_update(actor=request.user, member=member, status=Member.Status.ACTIVE)
    messages.success(
        request, _("%(name)s is active again and can place calls.") % {"name": member.name}
    )
    return _back(request, "member-list")


@staff_required
@require_POST
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(Member, pk=pk)
    services.member_remove(actor=request.user, member=member)
    messages.success(
        request,
        _("%(name)s was removed: they can no longer place calls. Their call history is kept.")
        % {"name": member.name},
    )
    return _back(request, "member-list")


# Departments and business numbers


@staff_required
def department_list(request: HttpRequest) -> HttpResponse:
    form = DepartmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            department = services.department_save(actor=request.user, **form.cleaned_data)
        except services.MemberInvalid as exc:
            _invalid_to_form(form, exc)
        else:
            messages.success(
                request, _("The %(name)s department was added.") % {"name": department.name}
            )
            return redirect("department-list")
    departments = list(
        Department.objects.select_related("business_number").annotate(
            member_count=Count("members", filter=~Q(members__status=Member.Status.REMOVED))
        )
    )
    used = minutes_used_in_period(pool=services.pool_current(), by="department")
    for department in departments:
        department.minutes_used = used.get(department.pk, 0)
    return render(
        request,
        "members/department_list.html",
        {"departments": departments, "form": form},
        status=400 if form.errors else 200,
    )


@staff_required
def department_edit(request: HttpRequest, pk: int) -> HttpResponse:
    department = get_object_or_404(Department.objects.select_related("business_number"), pk=pk)
    form = DepartmentForm(request.POST or None, department=department)
    if request.method == "POST" and form.is_valid():
        try:
            services.department_save(actor=request.user, department=department, **form.cleaned_data)
        except services.MemberInvalid as exc:
            _invalid_to_form(form, exc)
        else:
            messages.success(
                request, _("The %(name)s department was saved.") % {"name": department.name}
            )
            return redirect("department-list")
    return render(
        request,
        "members/department_edit.html",
        {"department": department, "form": form},
        status=400 if form.errors else 200,
    )


@staff_required
def business_number_list(request: HttpRequest) -> HttpResponse:
    form = BusinessNumberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            number = services.business_number_save(actor=request.user, **form.cleaned_data)
        except services.MemberInvalid as exc:
            _invalid_to_form(form, exc)
        else:
            messages.success(
                request,
                _("The business number %(number)s was added.") % {"number": number.phone_number},
            )
            return redirect("business-number-list")
    numbers = BusinessNumber.objects.annotate(department_count=Count("departments"))
    return render(
        request,
        "members/business_number_list.html",
        {"numbers": numbers, "form": form},
        status=400 if form.errors else 200,
    )


@staff_required
def business_number_edit(request: HttpRequest, pk: int) -> HttpResponse:
    number = get_object_or_404(BusinessNumber, pk=pk)
    initial = {
        "phone_number": number.phone_number,
        "label": number.label,
        "is_default": number.is_default,
    }
    form = BusinessNumberForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.business_number_save(
                actor=request.user, business_number=number, **form.cleaned_data
            )
        except services.MemberInvalid as exc:
            _invalid_to_form(form, exc)
        else:
            messages.success(
                request,
                _("The business number %(number)s was saved.") % {"number": number.phone_number},
            )
            return redirect("business-number-list")
    return render(
        request,
        "members/business_number_edit.html",
        {"number": number, "form": form},
        status=400 if form.errors else 200,
    )


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


@staff_required
def member_import(request: HttpRequest) -> HttpResponse:
    """Step 1: upload a file and see every row with its errors. Step 2: import all rows, or none."""
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
        except importing.ImportFileInvalid as exc:
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
            "columns": importing.IMPORT_COLUMNS,
            "required_columns": importing.REQUIRED_COLUMNS,
            "max_rows": importing.MAX_ROWS,
            "max_megabytes": importing.MAX_BYTES // 1024 // 1024,
        },
        status=400 if form.errors else 200,
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
    except services.MemberInvalid as exc:
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


def _export_values(member: Member) -> tuple[str, str, str, str, int | None, str]:
    """One member as a row under importing.IMPORT_COLUMNS, so that an export re-imports."""
    return (
        member.name,
        member.phone_number,
        member.department.name if member.department else "",
        member.status,
        member.minutes_cap,
        member.user.get_username() if member.user else "",
    )


def _formula_safe(text: str) -> str:
    # A cell starting with = + - @ runs as a formula in a spreadsheet; the import strips the '.
    return f"'{text}" if text.startswith(importing.FORMULA_STARTS) else text


class _Echo:
    """A file whose write returns the line, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(members: QuerySet[Member]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # The BOM makes Excel read the names as UTF-8.
    yield "\ufeff" + writer.writerow(importing.IMPORT_COLUMNS)
    for member in members.iterator(chunk_size=1000):
        name, number, department, status, cap, username = _export_values(member)
        # Numbers (checked E.164), statuses and caps cannot hold a formula: they stay as they are.
        yield writer.writerow(
            [
                _formula_safe(name),
                number,
                _formula_safe(department),
                status,
                "" if cap is None else cap,
                _formula_safe(username),
            ]
        )


@staff_required
def member_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The members the list page shows with the same filters, as CSV (streamed) or XLSX."""
    members, _ = _members_listed(request.GET)
    filename = f"members-{timezone.localdate():%Y-%m-%d}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_lines(members), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    if fmt != "xlsx":
        raise Http404
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Members")
    for letter, width in zip("ABCDEF", (28, 18, 20, 12, 12, 16), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.append([_text_cell(sheet, column, bold=True) for column in importing.IMPORT_COLUMNS])
    for member in members.iterator(chunk_size=1000):
        sheet.append(
            [
                _text_cell(sheet, value) if isinstance(value, str) else value
                for value in _export_values(member)
            ]
        )
    # Spooled to disk, not memory; the file is deleted when the response closes it.
    spool = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _text_cell(sheet: Any, value: str, *, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    # Text stays text: openpyxl would otherwise store "=..." as a formula.
    cell.data_type = "s"
    if bold:
        cell.font = Font(bold=True)
    return cell


# The audit log

# The object types the log can be filtered by (stored as the model's name), and their labels.
AUDIT_TYPES = {
    "Member": gettext_lazy("Members"),
    "Department": gettext_lazy("Departments"),
    "BusinessNumber": gettext_lazy("Business numbers"),
    "MinutePool": gettext_lazy("Minute pool"),
    "Recording": gettext_lazy("Recordings"),
    "Call": gettext_lazy("Calls"),
}
# The log stores field names and values as they are in the database; these are their labels.
FIELD_LABELS = {
    "name": gettext_lazy("Name"),
    "phone_number": gettext_lazy("Number"),
    "department": gettext_lazy("Department"),
    "user": gettext_lazy("Portal user"),
    "status": gettext_lazy("Status"),
    "minutes_cap": gettext_lazy("Minutes cap"),
    "business_number": gettext_lazy("Business number"),
    "label": gettext_lazy("Label"),
    "is_default": gettext_lazy("Default"),
    "minutes_allotted": gettext_lazy("Minutes allotted"),
    "billing_rule": gettext_lazy("Billing rule"),
    "when_exhausted": gettext_lazy("When exhausted"),
    "alert_thresholds": gettext_lazy("Alert thresholds"),
    # A call settled by hand (calls.services.call_settle).
    "reason": gettext_lazy("Reason"),
    "duration_seconds": gettext_lazy("Talk time in seconds"),
    "billed_minutes": gettext_lazy("Billed minutes"),
}
# Stored values shown in words. A member's status reads as it is stored ("active"), in lower case.
VALUE_LABELS = {
    "status": {
        Member.Status.ACTIVE: pgettext_lazy("member status, in the audit log", "active"),
        Member.Status.SUSPENDED: pgettext_lazy("member status, in the audit log", "suspended"),
        Member.Status.REMOVED: pgettext_lazy("member status, in the audit log", "removed"),
        # A call's, which no member status shares.
        **dict(Call.Status.choices),
    },
    "reason": REASON_LABELS,
    "billing_rule": dict(MinutePool.BillingRule.choices),
    "when_exhausted": dict(MinutePool.WhenExhausted.choices),
}
EDIT_URLS = {
    "Member": "member-edit",
    "Department": "department-edit",
    "BusinessNumber": "business-number-edit",
    "Call": "call-detail",
}


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str | None  # None: the object was created, there was no before
    after: str


def _display(value: object, field: str = "") -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        if value:
            return pgettext("a yes/no value, in the audit log", "yes")
        return pgettext("a yes/no value, in the audit log", "no")
    if isinstance(value, str) and value in VALUE_LABELS.get(field, {}):
        return str(VALUE_LABELS[field][value])
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "—"
    return str(value)


def audit_changes(entry: AuditLogEntry) -> list[FieldChange]:
    """The fields an entry changed, before → after; for a creation, the fields that were set."""
    before = entry.before or {}
    after = entry.after or {}
    # In the labels' order: PostgreSQL's jsonb does not keep the order keys were written in.
    present = {*after, *before}
    fields = [name for name in FIELD_LABELS if name in present]
    fields += sorted(present - set(fields))
    if entry.before is None:
        return [
            FieldChange(FIELD_LABELS.get(name, name), None, _display(after.get(name), name))
            for name in fields
            if after.get(name) not in (None, "", [])
        ]
    return [
        FieldChange(
            FIELD_LABELS.get(name, name),
            _display(before.get(name), name),
            _display(after.get(name), name),
        )
        for name in fields
        if before.get(name) != after.get(name)
    ]


@staff_required
def audit_log(request: HttpRequest) -> HttpResponse:
    object_type = request.GET.get("type", "")
    object_id = request.GET.get("object", "")
    entries = AuditLogEntry.objects.select_related("actor").order_by("-at", "-id")
    if object_type in AUDIT_TYPES:
        entries = entries.filter(object_type=object_type)
        if object_id.isdigit():
            entries = entries.filter(object_id=object_id)
    else:
        object_type = ""
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "members/audit_log.html",
        {
            "page": page,
            "entries": [
                (entry, audit_changes(entry), EDIT_URLS.get(entry.object_type)) for entry in page
            ],
            "types": AUDIT_TYPES.items(),
            "object_type": object_type,
            "object_id": object_id if object_type and object_id.isdigit() else "",
        },
    )
