"""Back-office polish: product and payment settings."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_tickets", "0009_lean_order_path"),
    ]

    operations: list[migrations.operations.base.Operation] = []
