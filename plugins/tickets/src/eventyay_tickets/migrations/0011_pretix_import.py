"""Records of what was imported from pretix."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_tickets", "0010_backoffice_polish"),
    ]

    operations: list[migrations.operations.base.Operation] = []
