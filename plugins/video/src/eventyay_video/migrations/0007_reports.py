"""A status on user reports: the control panel dismisses or resolves them."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_video", "0006_networking"),
    ]

    operations = [
        migrations.AddField(
            model_name="userreport",
            name="handled",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="userreport",
            name="handled_by",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="userreport",
            name="status",
            field=models.CharField(
                choices=[("open", "Open"), ("dismissed", "Dismissed"), ("resolved", "Resolved")],
                default="open",
                max_length=16,
            ),
        ),
        migrations.AddIndex(
            model_name="userreport",
            index=models.Index(fields=["event", "status", "-created"], name="video_report_status"),
        ),
    ]
