from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = "Calls"

    def ready(self) -> None:
        # The notify endpoint's system checks (calls/checks.py).
        from calls import checks  # noqa: F401
