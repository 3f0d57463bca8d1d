"""What pretalx import needs beyond the import records."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_talk", "0004_talk_imports"),
    ]

    operations: list[migrations.operations.base.Operation] = []
