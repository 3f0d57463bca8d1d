"""A stored search vector for contacts."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_campaigns", "0009_campaign_figures"),
    ]

    operations: list[migrations.operations.base.Operation] = []
