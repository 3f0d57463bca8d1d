"""Message edits, direct messages and user profiles."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_video", "0002_token_revocation"),
    ]

    operations: list[migrations.operations.base.Operation] = []
