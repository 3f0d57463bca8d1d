"""Lean order path."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_tickets", "0008_order_utm"),
    ]

    operations: list[migrations.operations.base.Operation] = []
