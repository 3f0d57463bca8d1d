"""Schedule and proposal polish: the "proposal received" mail template."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_talk", "0002_private_files"),
    ]

    operations: list[migrations.operations.base.Operation] = [
        migrations.AlterField(
            model_name="mailtemplate",
            name="role",
            field=models.CharField(
                choices=[
                    ("submission.received", "Proposal received"),
                    ("submission.accepted", "Proposal accepted"),
                    ("submission.rejected", "Proposal rejected"),
                    ("speaker.invitation", "Co-speaker invitation"),
                    ("schedule.update", "Your talks in a new schedule version"),
                ],
                max_length=40,
            ),
        ),
    ]
