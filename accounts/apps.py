from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """The portal's users beyond what django.contrib.auth keeps: their preferences, and the
    admins' Users pages."""

    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the login handler)
        from .auditing import audit_labels_register

        audit_labels_register()
