"""Janus servers and networking roulette."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_video", "0005_exhibition"),
    ]

    operations: list[migrations.operations.base.Operation] = []
