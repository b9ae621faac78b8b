"""AuditLogEntry now belongs to the audit app (audit 0001): gone from this app's state only, its
table and rows kept."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0006_audit_settle_action"),
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditLogEntry")],
            database_operations=[],
        ),
    ]
