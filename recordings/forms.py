"""The Recording rules page's form: it checks the input's shape; recordings.rules the rest."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from recordings.models import RecordingRule


def _target_model(field: str):
    # A department or member number, which recordings does not import (members sits beside
    # it): the model the rule's foreign key points at.
    return RecordingRule._meta.get_field(field).related_model


class RecordingRuleForm(forms.Form):
    scope = forms.ChoiceField(label=_("For"), choices=RecordingRule.Scope.choices)
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=_target_model("department").objects.none(),
        required=False,
        empty_label=_("Choose a department"),
        help_text=_("For a department's rule."),
    )
    member = forms.ModelChoiceField(
        label=_("Member"),
        queryset=_target_model("member").objects.none(),
        required=False,
        empty_label=_("Choose a member"),
        help_text=_("For one member's rule."),
    )
    record = forms.TypedChoiceField(
        label=_("Calls are"),
        choices=[("1", _("Recorded")), ("0", _("Not recorded"))],
        coerce=lambda value: value == "1",
    )

    def __init__(self, *args: object, rule: RecordingRule | None = None, **kwargs: object) -> None:
        if rule is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "scope": rule.scope,
                "department": rule.department_id,
                "member": rule.member_id,
                "record": "1" if rule.record else "0",
            }
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = _target_model("department").objects.order_by("name")
        self.fields["member"].queryset = (
            _target_model("member").objects.exclude(status="removed").order_by("name")
        )
