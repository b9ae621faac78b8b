"""How the audit log's page names what accounts.services writes about users (registered from
AccountsConfig.ready)."""

from django.utils.translation import gettext_lazy


def audit_labels_register() -> None:
    from audit.labels import audited_type_register

    audited_type_register(
        "User",
        label=gettext_lazy("Users"),
        url_name="user-edit",
        fields={
            "username": gettext_lazy("Username"),
            "name": gettext_lazy("Name"),
            "email": gettext_lazy("E-mail"),
            "role_admin": gettext_lazy("Role: Admin"),
            "role_employee": gettext_lazy("Role: Employee"),
            "role_finance": gettext_lazy("Role: Finance"),
            "active": gettext_lazy("Can log in"),
            "pool_alerts": gettext_lazy("Receives pool alerts"),
            "locked": gettext_lazy("Locked out"),
            "sent_at": gettext_lazy("Sent at"),
        },
    )
