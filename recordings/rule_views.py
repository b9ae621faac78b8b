"""The Recording rules page (admins): which calls ask the operator for a recording, for the whole
enterprise, a department or one member; add, change and remove rules (recordings.rules)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from operator_api import get_operator
from recordings import rule_members, rules
from recordings.forms import RecordingRuleForm
from recordings.models import RecordingRule


def _admins_only(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied(_("Recording rules are for administrators."))


def _save(request: HttpRequest, form: RecordingRuleForm, rule: RecordingRule | None) -> bool:
    if not form.is_valid():
        return False
    try:
        rules.recording_rule_save(actor=request.user, rule=rule, **form.cleaned_data)
    except rules.RuleInvalid as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return False
    return True


@login_required
def recording_rule_list(request: HttpRequest) -> HttpResponse:
    _admins_only(request)
    form = RecordingRuleForm(request.POST or None)
    if request.method == "POST" and _save(request, form, None):
        messages.success(request, _("The rule was added."))
        return redirect("recording-rule-list")
    # Broadest first, as the rules apply: the enterprise's, the departments', the members'.
    breadth = {RecordingRule.Scope.ENTERPRISE: 0, RecordingRule.Scope.DEPARTMENT: 1}
    listed = sorted(
        RecordingRule.objects.select_related("department", "member", "updated_by"),
        key=lambda rule: (
            breadth.get(rule.scope, 2),
            str(rule.department or rule.member or ""),
            rule.pk,
        ),
    )
    return render(
        request,
        "recordings/rule_list.html",
        {
            "rules": listed,
            "form": form,
            "default_records": bool(settings.RECORDING_ENABLED),
            "operator_decides": not get_operator().asks_for_recording,
        },
        status=400 if form.errors else 200,
    )


@login_required
def recording_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _admins_only(request)
    rule = get_object_or_404(RecordingRule.objects.select_related("department", "member"), pk=pk)
    form = RecordingRuleForm(request.POST or None, rule=rule)
    if request.method == "POST" and _save(request, form, rule):
        messages.success(request, _("The rule was saved."))
        return redirect("recording-rule-list")
    return render(
        request,
        "recordings/rule_edit.html",
        {"rule": rule, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def recording_rule_members(request: HttpRequest) -> HttpResponse:
    """The members whose name or number holds the words typed in the rule form's member field,
    to pick one of (fetched by htmx as the admin types)."""
    _admins_only(request)
    text = request.GET.get("member", "")[:250]
    return render(
        request,
        "recordings/_member_candidates.html",
        {"search": rule_members.member_candidates(text)},
    )


@login_required
@require_POST
def recording_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _admins_only(request)
    rule = get_object_or_404(RecordingRule, pk=pk)
    rules.recording_rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("The rule was removed."))
    return redirect("recording-rule-list")
