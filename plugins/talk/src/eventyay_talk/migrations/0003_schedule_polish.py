"""Schedule and proposal polish."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_talk", "0002_private_files"),
    ]

    operations: list[migrations.operations.base.Operation] = []
