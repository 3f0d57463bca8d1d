"""Side effects of a write, recorded in its transaction and carried out after commit."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_base", "0007_organizer_plugin"),
    ]

    operations: list[migrations.operations.base.Operation] = []
