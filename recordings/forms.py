"""The Recording rules page's form: it checks the input's shape; recordings.rules the rest."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from recordings.models import RecordingRule
from recordings.rule_members import MemberSearch, member_label, member_resolve


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
    # Words, not a list of every member (thousands would not fit): resolved in clean(), with
    # the members they may mean listed under the field as the admin types (rule_members).
    member = forms.CharField(
        label=_("Member"),
        required=False,
        max_length=250,
        help_text=_("For one member's rule: type part of their name or number, then pick one."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
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
                "member": member_label(rule.member) if rule.member_id else "",
                "record": "1" if rule.record else "0",
            }
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = _target_model("department").objects.order_by("name")
        # As the admin types, htmx lists the members the words may mean under the field;
        # without JavaScript, clean() resolves the same words when the form is sent.
        self.fields["member"].widget.attrs.update(
            {
                "hx-get": reverse("recording-rule-members"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#member-candidates",
                "hx-sync": "this:replace",
                "aria-controls": "member-candidates",
            }
        )
        # The members the typed words may mean, for the template to offer (set by clean()).
        self.member_search = MemberSearch(text="")

    def clean(self) -> dict[str, object]:
        cleaned = super().clean()
        if cleaned.get("scope") != RecordingRule.Scope.MEMBER:
            # Words left in the member field of another scope's rule mean nothing.
            cleaned["member"] = None
            return cleaned
        search = member_resolve(
            cleaned.get("member") or "", picked=str(self.data.get("member_pick", ""))
        )
        self.member_search = search
        if search.error:
            self.add_error("member", search.error)
        else:
            cleaned["member"] = search.found
        return cleaned
