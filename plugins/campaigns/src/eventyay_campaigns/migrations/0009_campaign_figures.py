from typing import Any

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps: Any, schema_editor: Any) -> None:
    from eventyay_campaigns.services.figures import figures_backfill

    figures_backfill(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_base", "0007_organizer_plugin"),
        ("eventyay_campaigns", "0008_analytics_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="CampaignFigure",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("kind", models.CharField(max_length=40)),
                ("currency", models.CharField(blank=True, default="", max_length=3)),
                ("n", models.BigIntegerField(default=0)),
                ("amount", models.DecimalField(decimal_places=2, default=0, max_digits=15)),
                (
                    "campaign",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="figures",
                        to="eventyay_campaigns.campaign",
                    ),
                ),
                (
                    "organizer",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="eventyay_base.organizer",
                    ),
                ),
            ],
            options={
                "ordering": ("campaign", "day", "kind", "currency"),
                "constraints": [
                    models.UniqueConstraint(
                        fields=("campaign", "day", "kind", "currency"), name="campaigns_figure_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
