"""Exhibitors, contact requests and posters."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_video", "0004_server_pools"),
    ]

    operations: list[migrations.operations.base.Operation] = []
