"""How the audit log's page names a call settled by hand (registered from CallsConfig.ready)."""

from django.utils.translation import gettext_lazy

from audit.labels import audited_type_register
from calls.models import Call
from calls.selectors import REASON_LABELS


def audit_labels_register() -> None:
    audited_type_register(
        "Call",
        label=gettext_lazy("Calls"),
        url_name="call-detail",
        fields={
            "status": gettext_lazy("Status"),
            "reason": gettext_lazy("Reason"),
            "duration_seconds": gettext_lazy("Talk time in seconds"),
            "billed_minutes": gettext_lazy("Billed minutes"),
        },
        values={"status": dict(Call.Status.choices), "reason": REASON_LABELS},
    )
