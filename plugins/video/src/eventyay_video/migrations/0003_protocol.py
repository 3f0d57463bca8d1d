"""Message edits, direct messages and user profiles."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_video", "0002_token_revocation"),
    ]

    operations: list[migrations.operations.base.Operation] = [
        migrations.AddField(
            model_name="chatmessage",
            name="edited",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="chatchannel",
            name="direct_first",
            field=models.CharField(blank=True, default="", max_length=200),
        ),
        migrations.AddField(
            model_name="chatchannel",
            name="direct_second",
            field=models.CharField(blank=True, default="", max_length=200),
        ),
        migrations.AddConstraint(
            model_name="chatchannel",
            constraint=models.UniqueConstraint(
                condition=models.Q(("direct_first", ""), _negated=True),
                fields=("event", "direct_first", "direct_second"),
                name="video_one_direct_channel_per_pair",
            ),
        ),
        migrations.CreateModel(
            name="ChatMessageEdit",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("previous_content", models.TextField()),
                ("by_uid", models.CharField(max_length=200)),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "message",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="edits",
                        to="eventyay_video.chatmessage",
                    ),
                ),
            ],
            options={"ordering": ("pk",)},
        ),
        migrations.CreateModel(
            name="UserProfile",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("uid", models.CharField(max_length=200)),
                ("display_name", models.CharField(blank=True, max_length=100, verbose_name="Display name")),
                ("avatar_url", models.URLField(blank=True, max_length=500, verbose_name="Avatar URL")),
                ("bio", models.CharField(blank=True, max_length=500, verbose_name="About me")),
                (
                    "accepts_direct_messages",
                    models.BooleanField(default=False, verbose_name="Accept direct messages"),
                ),
                ("updated", models.DateTimeField(auto_now=True)),
                (
                    "event",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="video_profiles",
                        to="eventyay_base.event",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("event", "uid"), name="video_one_profile_per_user")
                ],
            },
        ),
        migrations.CreateModel(
            name="UserBlock",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("uid", models.CharField(max_length=200)),
                ("blocked_uid", models.CharField(max_length=200)),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "event",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="video_blocks",
                        to="eventyay_base.event",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("event", "uid", "blocked_uid"), name="video_one_block_per_pair"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="UserReport",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("reporter_uid", models.CharField(max_length=200)),
                ("reported_uid", models.CharField(max_length=200)),
                ("reason", models.CharField(max_length=1000)),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "event",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="video_reports",
                        to="eventyay_base.event",
                    ),
                ),
                (
                    "message",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="reports",
                        to="eventyay_video.chatmessage",
                    ),
                ),
            ],
            options={"ordering": ("-created", "-pk")},
        ),
    ]
