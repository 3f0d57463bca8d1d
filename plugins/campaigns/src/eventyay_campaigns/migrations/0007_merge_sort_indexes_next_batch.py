"""Joins two migrations that were added at the same time on top of 0005."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_campaigns", "0006_campaign_next_batch"),
        ("eventyay_campaigns", "0006_contact_sort_indexes"),
    ]

    operations: list[migrations.operations.base.Operation] = []
