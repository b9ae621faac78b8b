from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from members import roles  # connects the Admin role to is_staff

        # Sent once per app, in INSTALLED_APPS order: on recordings', the last of ours, every
        # permission the roles hold exists already.
        post_migrate.connect(roles.roles_ensure, sender=apps.get_app_config("recordings"))
