"""Department and business number pages for admins: lists with an add form, and edit pages."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from members import services
from members.exceptions import MemberInvalid
from members.forms import BusinessNumberForm, DepartmentForm
from members.models import BusinessNumber, Department, Member
from members.pool.selectors import minutes_used_in_period
from members.pool.services import pool_current
from members.views.members import invalid_to_form, staff_required


@staff_required
def department_list(request: HttpRequest) -> HttpResponse:
    form = DepartmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            department = services.department_save(actor=request.user, **form.cleaned_data)
        except MemberInvalid as exc:
            invalid_to_form(form, exc)
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
    used = minutes_used_in_period(pool=pool_current(), by="department")
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
        except MemberInvalid as exc:
            invalid_to_form(form, exc)
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
        except MemberInvalid as exc:
            invalid_to_form(form, exc)
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
        except MemberInvalid as exc:
            invalid_to_form(form, exc)
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
