from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("calls", "0005_contact_shared"),
    ]

    operations = [
        migrations.AddField(
            model_name="callevent",
            name="event_source",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="callevent",
            name="event_id",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AlterField(
            model_name="call",
            name="error_code",
            field=models.CharField(blank=True, max_length=64),
        ),
    ]
