from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from clicktodial_portal.metrics import state_collector_register

        # The tasks, registered in every process, web too: services send them by name.
        from members import (
            roles,  # connects the Admin role to is_staff
            tasks,  # noqa: F401
        )
        from members.auditing import audit_labels_register
        from members.pool.metrics import PoolCollector

        audit_labels_register()
        state_collector_register(PoolCollector())

        # Sent once per app, in INSTALLED_APPS order: on recordings', the last of ours, every
        # permission the roles hold exists already.
        post_migrate.connect(roles.roles_ensure, sender=apps.get_app_config("recordings"))
