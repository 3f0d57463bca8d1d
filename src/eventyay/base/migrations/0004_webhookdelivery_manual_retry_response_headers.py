from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_base", "0003_outgoingmail_due_at_creation"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookdelivery",
            name="manual_attempts",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="webhookdelivery",
            name="manual_retry",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="webhookdelivery",
            name="response_headers",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
