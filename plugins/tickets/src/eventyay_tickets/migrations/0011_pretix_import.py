"""Records of what was imported from pretix."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_tickets", "0010_backoffice_polish"),
    ]

    operations = [
        migrations.CreateModel(
            name="PretixImport",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("source_url", models.URLField(max_length=500)),
                ("source_organizer", models.CharField(max_length=190)),
                ("source_event", models.CharField(max_length=190)),
                ("created", models.DateTimeField(default=django.utils.timezone.now)),
                ("last_run", models.DateTimeField(blank=True, null=True)),
                ("last_report", models.JSONField(blank=True, default=dict)),
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="pretix_import",
                        to="eventyay_base.event",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="PretixImportRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=32)),
                ("source_id", models.CharField(max_length=190)),
                ("object_id", models.PositiveBigIntegerField()),
                ("source_modified", models.CharField(blank=True, max_length=64)),
                (
                    "pretix_import",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="records",
                        to="eventyay_tickets.pretiximport",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("pretix_import", "kind", "source_id"), name="tickets_pretix_record_unique"
                    )
                ],
            },
        ),
    ]
