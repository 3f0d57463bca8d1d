"""Records of what was imported from pretalx."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_talk", "0003_schedule_polish"),
    ]

    operations: list[migrations.operations.base.Operation] = []
