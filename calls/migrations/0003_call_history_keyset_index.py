# The calls history's keyset pages seek on (created_at, id) instead of sorting every call.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("calls", "0002_call_over_limit_billed_from_ledger"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="call",
            index=models.Index(fields=["created_at", "id"], name="calls_call_created_id_idx"),
        ),
    ]
