"""Member management pages for admins: the member list with its filters, a member's page and its
actions, and what the other member pages share (staff_required). Departments and business
numbers: members.views.departments; import and export: members.views.member_files. Every write
goes through members.services, which audits it (the log's page: audit.views).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    QueryDict,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clicktodial_portal import bounds
from clicktodial_portal.redirects import redirect_back
from members import services
from members.exceptions import MemberInvalid
from members.forms import MemberForm
from members.models import Department, Member
from members.pool.selectors import minutes_used_in_period
from members.pool.services import pool_current

PAGE_SIZE = 50
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


def invalid_to_form(form: Any, exc: MemberInvalid) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


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
            department=department
            if department == NO_DEPARTMENT or bounds.id_parse(department)
            else "",
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


def members_listed(query: QueryDict) -> tuple[QuerySet[Member], MemberFilters]:
    filters = MemberFilters.from_query(query)
    members = Member.objects.select_related("department", "user").order_by("name", "id")
    return filters.apply(members), filters


@staff_required
def member_list(request: HttpRequest) -> HttpResponse:
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.member_create(actor=request.user, **form.service_fields())
        except MemberInvalid as exc:
            invalid_to_form(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s (%(number)s) was added.")
                % {"name": member.name, "number": member.phone_number},
            )
            return redirect("member-list")
    members, filters = members_listed(request.GET)
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    used = minutes_used_in_period(pool=pool_current(), by="member")
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
        except MemberInvalid as exc:
            invalid_to_form(form, exc)
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
    return redirect_back(request, "member-list")


@staff_required
@require_POST
def member_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(Member, pk=pk)
    services.member_update(actor=request.user, member=member, status=Member.Status.ACTIVE)
    messages.success(
        request, _("%(name)s is active again and can place calls.") % {"name": member.name}
    )
    return redirect_back(request, "member-list")


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
    return redirect_back(request, "member-list")
