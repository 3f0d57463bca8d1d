from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_campaigns", "0005_automation_sms_inbound"),
    ]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="next_batch",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
