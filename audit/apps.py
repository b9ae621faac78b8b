from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """The audit log. It imports no other app: each app writes through audit.services and names
    its own object types, fields and values for the log's page in its ready() (audit.labels)."""

    name = "audit"
    verbose_name = _("Audit log")
