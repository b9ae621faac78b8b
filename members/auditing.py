"""What the audit log keeps of members, departments, business numbers and the pool, and how its
page names them (registered from MembersConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy, pgettext_lazy

from audit.labels import audited_type_register
from members.models import BusinessNumber, Department, Member, MinutePool


def snapshot(obj: Member | Department | BusinessNumber | MinutePool) -> dict[str, Any]:
    """The fields a person cares about, as text, for the log's before → after."""
    if isinstance(obj, Member):
        return {
            "name": obj.name,
            "phone_number": obj.phone_number,
            "department": obj.department.name if obj.department else None,
            "user": obj.user.get_username() if obj.user else None,
            "status": obj.status,
            "minutes_cap": obj.minutes_cap,
        }
    if isinstance(obj, Department):
        return {
            "name": obj.name,
            "business_number": obj.business_number.phone_number if obj.business_number else None,
            "minutes_cap": obj.minutes_cap,
        }
    if isinstance(obj, BusinessNumber):
        return {"phone_number": obj.phone_number, "label": obj.label, "is_default": obj.is_default}
    return {
        "minutes_allotted": obj.minutes_allotted,
        "billing_rule": obj.billing_rule,
        "when_exhausted": obj.when_exhausted,
        "alert_thresholds": obj.alert_thresholds,
    }


def audit_labels_register() -> None:
    fields = {
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
    }
    values = {
        # A member's status reads as it is stored ("active"), in lower case.
        "status": {
            Member.Status.ACTIVE: pgettext_lazy("member status, in the audit log", "active"),
            Member.Status.SUSPENDED: pgettext_lazy("member status, in the audit log", "suspended"),
            Member.Status.REMOVED: pgettext_lazy("member status, in the audit log", "removed"),
        },
        "billing_rule": dict(MinutePool.BillingRule.choices),
        "when_exhausted": dict(MinutePool.WhenExhausted.choices),
    }
    audited_type_register(
        "Member",
        label=gettext_lazy("Members"),
        url_name="member-edit",
        fields=fields,
        values=values,
    )
    audited_type_register(
        "Department", label=gettext_lazy("Departments"), url_name="department-edit"
    )
    audited_type_register(
        "BusinessNumber", label=gettext_lazy("Business numbers"), url_name="business-number-edit"
    )
    audited_type_register("MinutePool", label=gettext_lazy("Minute pool"))
