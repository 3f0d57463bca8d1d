"""Organizer-level plugins switched on per organizer."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_base", "0006_content_version"),
    ]

    operations = [
        migrations.CreateModel(
            name="OrganizerPlugin",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                ("enabled", models.BooleanField(default=False)),
                ("modified", models.DateTimeField(auto_now=True)),
                (
                    "organizer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="plugin_states",
                        to="eventyay_base.organizer",
                    ),
                ),
            ],
            options={
                "ordering": ("name",),
                "unique_together": {("organizer", "name")},
            },
        ),
    ]
