"""How the audit log's page names a call settled by hand or noted after it, and the outcomes
callers choose from (registered from CallsConfig.ready)."""

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
            # Translators: how a call went, as its caller noted after it (reached, voicemail…).
            "outcome": gettext_lazy("Outcome"),
            "notes": gettext_lazy("Notes"),
        },
        # Admins read the log: another's call's reason in the third person.
        values={
            "status": dict(Call.Status.choices),
            "reason": {code: words.to_others for code, words in REASON_LABELS.items()},
        },
    )
    audited_type_register(
        "CallOutcome",
        label=gettext_lazy("Call outcomes"),
        url_name="call-outcome-edit",
        fields={
            "name": gettext_lazy("Name in English"),
            "name_zh_hans": gettext_lazy("Name in Chinese"),
            "is_active": gettext_lazy("Offered to callers"),
        },
    )
