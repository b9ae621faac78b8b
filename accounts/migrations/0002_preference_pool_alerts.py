from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_preference"),
    ]

    operations = [
        migrations.AddField(
            model_name="preference",
            name="pool_alerts",
            field=models.BooleanField(blank=True, null=True, verbose_name="receives pool alerts"),
        ),
    ]
