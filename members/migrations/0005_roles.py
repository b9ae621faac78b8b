"""The three roles as groups, with the permissions members.roles gives them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "Admin": ["members.view_usage_report", "recordings.access_all_recordings"],
    "Employee": [],
    "Finance": ["members.view_usage_report"],
}


def roles_create(apps, schema_editor):
    # On a new database the permissions are only created after all migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    user_model = apps.get_model("auth", "User")
    for name, permissions in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        for dotted in permissions:
            app_label, codename = dotted.split(".")
            group.permissions.add(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )
    admin = group_model.objects.get(name="Admin")
    for user in user_model.objects.filter(is_staff=True):
        user.groups.add(admin)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0004_audit_recording_actions"),
        ("recordings", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(roles_create, migrations.RunPython.noop)]
