"""Organizer's public profile: branding and legal links."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_base", "0008_deferred_effects"),
    ]

    operations: list[migrations.operations.base.Operation] = []
