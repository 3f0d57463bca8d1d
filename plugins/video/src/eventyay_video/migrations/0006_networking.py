"""Janus servers and networking roulette."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_video", "0005_exhibition"),
    ]

    operations = [
        migrations.AlterField(
            model_name="module",
            name="kind",
            field=models.CharField(
                choices=[
                    ("livestream.hls", "Livestream (HLS)"),
                    ("livestream.iframe", "Livestream (embedded player)"),
                    ("chat", "Chat"),
                    ("polls", "Polls"),
                    ("questions", "Questions and answers"),
                    ("call.bigbluebutton", "Video call (BigBlueButton)"),
                    ("call.url", "Video call (Jitsi or other link)"),
                    ("page", "Static page"),
                    ("networking.roulette", "Networking roulette"),
                ],
                max_length=32,
                verbose_name="Type",
            ),
        ),
        migrations.CreateModel(
            name="JanusServer",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "url",
                    models.URLField(
                        help_text="The base of the Janus REST API, e.g. https://janus.example.org/janus",
                        max_length=500,
                        verbose_name="Janus HTTP API URL",
                    ),
                ),
                ("api_secret", models.TextField(blank=True, default="")),
                ("admin_key", models.TextField(blank=True, default="")),
                ("active", models.BooleanField(default=True, verbose_name="Active")),
                (
                    "weight",
                    models.PositiveIntegerField(
                        default=1,
                        help_text="A server with twice the weight gets twice the calls.",
                        verbose_name="Weight",
                    ),
                ),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "organizer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="video_janus_servers",
                        to="eventyay_base.organizer",
                    ),
                ),
            ],
            options={"ordering": ("pk",)},
        ),
        migrations.CreateModel(
            name="RouletteCall",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("janus_room", models.BigIntegerField(blank=True, null=True)),
                ("janus_pin", models.CharField(blank=True, default="", max_length=64)),
                ("janus_secret", models.TextField(blank=True, default="")),
                ("jitsi_url", models.URLField(blank=True, default="", max_length=500)),
                ("created", models.DateTimeField(auto_now_add=True)),
                ("ended", models.DateTimeField(blank=True, null=True)),
                (
                    "janus_server",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="calls",
                        to="eventyay_video.janusserver",
                    ),
                ),
                (
                    "room",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="roulette_calls",
                        to="eventyay_video.room",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="RouletteRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("uid", models.CharField(max_length=200)),
                ("name", models.CharField(blank=True, max_length=200)),
                (
                    "state",
                    models.CharField(
                        choices=[("waiting", "Waiting"), ("matched", "Matched"), ("left", "Left")],
                        default="waiting",
                        max_length=10,
                    ),
                ),
                ("waiting_since", models.DateTimeField()),
                ("partner_uid", models.CharField(blank=True, default="", max_length=200)),
                ("last_partner_uid", models.CharField(blank=True, default="", max_length=200)),
                (
                    "call",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="requests",
                        to="eventyay_video.roulettecall",
                    ),
                ),
                (
                    "room",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="roulette_requests",
                        to="eventyay_video.room",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["room", "state", "waiting_since"], name="video_roulette_queue")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("room", "uid"), name="video_one_roulette_request_per_user"
                    )
                ],
            },
        ),
    ]
