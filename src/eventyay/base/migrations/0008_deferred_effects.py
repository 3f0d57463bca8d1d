"""Side effects of a write, recorded in its transaction and carried out after commit."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_base", "0007_organizer_plugin"),
    ]

    operations = [
        migrations.CreateModel(
            name="DeferredEffect",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=100)),
                ("payload", models.JSONField(default=dict)),
                ("created", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "next_attempt",
                    models.DateTimeField(blank=True, default=django.utils.timezone.now, null=True),
                ),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("error", models.TextField(blank=True)),
                (
                    "event",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="eventyay_base.event",
                    ),
                ),
                (
                    "organizer",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="eventyay_base.organizer",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["next_attempt", "id"], name="eventyay_deferred_due")],
            },
        ),
    ]
