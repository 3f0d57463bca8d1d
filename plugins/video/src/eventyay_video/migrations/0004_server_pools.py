"""BigBlueButton and streaming servers."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_video", "0003_protocol"),
    ]

    operations: list[migrations.operations.base.Operation] = []
