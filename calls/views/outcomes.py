"""The admins' list of call outcomes (reached, voicemail, …) that employees choose after a call."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from calls.exceptions import CallNotAllowed
from calls.forms import (
    CallOutcomeForm,
)
from calls.models import CallOutcome
from calls.services import wrapup


def _staff_only(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied(_("The list of outcomes is for administrators."))


@login_required
def call_outcome_list(request: HttpRequest) -> HttpResponse:
    """The outcomes callers choose from after a call (admins): the list, and a form to add one."""
    _staff_only(request)
    form = CallOutcomeForm(request.POST or None, auto_id="add-%s")
    if request.method == "POST" and form.is_valid():
        try:
            outcome = wrapup.call_outcome_save(actor=request.user, **form.cleaned_data)
        except CallNotAllowed as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": outcome.label})
            return redirect("call-outcome-list")
    outcomes_listed = CallOutcome.objects.annotate(call_count=Count("calls"))
    return render(
        request,
        "calls/outcome_list.html",
        {"outcomes": outcomes_listed, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def call_outcome_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename an outcome, or stop (or start again) offering it (admins)."""
    _staff_only(request)
    outcome = get_object_or_404(CallOutcome, pk=pk)
    initial = {"name": outcome.name, "name_zh_hans": outcome.name_zh_hans}
    form = CallOutcomeForm(
        request.POST or None, initial={**initial, "is_active": outcome.is_active}
    )
    if request.method == "POST" and form.is_valid():
        try:
            wrapup.call_outcome_save(actor=request.user, outcome=outcome, **form.cleaned_data)
        except CallNotAllowed as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("%(name)s was saved.") % {"name": outcome.label})
            return redirect("call-outcome-list")
    return render(
        request,
        "calls/outcome_edit.html",
        {"outcome": outcome, "form": form},
        status=400 if form.errors else 200,
    )
