"""AuditLogEntry moves here from the members app, its table and rows staying where they are.

Django's state only: the model is created here on the members app's table (members 0007 drops it
from the members app's state), and its content type is relabelled so that the permissions given
on it stay given.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def content_type_relabel(apps, schema_editor, *, old, new):
    content_type = apps.get_model("contenttypes", "ContentType")
    types = content_type.objects.using(schema_editor.connection.alias)
    if not types.filter(app_label=new, model="auditlogentry").exists():
        types.filter(app_label=old, model="auditlogentry").update(app_label=new)


def to_audit(apps, schema_editor):
    content_type_relabel(apps, schema_editor, old="members", new="audit")


def to_members(apps, schema_editor):
    content_type_relabel(apps, schema_editor, old="audit", new="members")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("members", "0006_audit_settle_action"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditLogEntry",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("at", models.DateTimeField(auto_now_add=True)),
                        ("action", models.CharField(choices=[("create", "Created"), ("update", "Changed"), ("remove", "Removed"), ("import", "Imported"), ("play", "Played"), ("download", "Downloaded"), ("retry", "Download retried"), ("hold", "Put on legal hold"), ("release_hold", "Legal hold released"), ("expire", "Deleted by retention"), ("settle", "Settled by hand")], max_length=20)),
                        ("object_type", models.CharField(max_length=50)),
                        ("object_id", models.CharField(max_length=50)),
                        ("object_repr", models.CharField(max_length=300)),
                        ("before", models.JSONField(blank=True, null=True)),
                        ("after", models.JSONField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("actor", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "members_auditlogentry",
                        "ordering": ["-at", "-id"],
                        "indexes": [models.Index(fields=["object_type", "object_id"], name="members_audit_object_idx")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(to_audit, to_members),
    ]
