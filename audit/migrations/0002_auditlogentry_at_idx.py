from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="auditlogentry",
            index=models.Index(fields=["at"], name="audit_auditlogentry_at_idx"),
        ),
    ]
