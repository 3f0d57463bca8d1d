"""BigBlueButton and streaming servers."""

import django.db.models.deletion
from django.db import migrations, models


def bbb_configs_to_servers(apps, schema_editor):
    """Call modules used to carry their server and plain secret: they become pool servers."""
    from eventyay.base.secrets import secret_encrypt

    Module = apps.get_model("eventyay_video", "Module")
    BBBServer = apps.get_model("eventyay_video", "BBBServer")
    for module in Module.objects.filter(kind="call.bigbluebutton").select_related("room__event"):
        config = module.config or {}
        url, secret = str(config.get("server") or ""), str(config.get("secret") or "")
        if url and secret:
            organizer_id = module.room.event.organizer_id
            if not BBBServer.objects.filter(organizer_id=organizer_id, url=url).exists():
                # Servers of the old configuration computed SHA-1 checksums.
                BBBServer.objects.create(
                    organizer_id=organizer_id, url=url, secret=secret_encrypt(secret), checksum="sha1"
                )
        module.config = {"record": False, "moderator_traits": []}
        module.save(update_fields=["config"])


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_base", "0002_logentry_oauth_application"),
        ("eventyay_video", "0003_protocol"),
    ]

    operations = [
        migrations.CreateModel(
            name="BBBServer",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("url", models.URLField(max_length=500, verbose_name="API URL")),
                ("secret", models.TextField(verbose_name="Shared secret")),
                (
                    "checksum",
                    models.CharField(
                        choices=[("sha256", "SHA-256"), ("sha1", "SHA-1"), ("sha512", "SHA-512")],
                        default="sha256",
                        max_length=10,
                        verbose_name="Checksum algorithm",
                    ),
                ),
                (
                    "weight",
                    models.PositiveIntegerField(
                        default=1,
                        help_text="A server of weight 2 gets twice as many meetings as one of 1.",
                        verbose_name="Weight",
                    ),
                ),
                (
                    "max_rooms",
                    models.PositiveIntegerField(
                        default=0, help_text="0: no limit.", verbose_name="Meetings at most"
                    ),
                ),
                (
                    "active",
                    models.BooleanField(
                        default=True, help_text="Inactive servers get no new meetings.", verbose_name="Active"
                    ),
                ),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "organizer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="video_bbb_servers",
                        to="eventyay_base.organizer",
                    ),
                ),
            ],
            options={"ordering": ("pk",)},
        ),
        migrations.CreateModel(
            name="BBBMeeting",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("meeting_id", models.CharField(max_length=100, unique=True)),
                ("assigned", models.DateTimeField(auto_now=True)),
                (
                    "room",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="bbb_meeting",
                        to="eventyay_video.room",
                    ),
                ),
                (
                    "server",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="meetings",
                        to="eventyay_video.bbbserver",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="StreamingServer",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200, verbose_name="Name")),
                (
                    "ingest_url_template",
                    models.CharField(
                        help_text="E.g. rtmp://ingest.example.org/live/{stream}?key={key}",
                        max_length=500,
                        verbose_name="Ingest URL",
                    ),
                ),
                (
                    "playback_url_template",
                    models.CharField(
                        help_text="E.g. https://cdn.example.org/hls/{stream}/index.m3u8",
                        max_length=500,
                        verbose_name="Playback URL (HLS)",
                    ),
                ),
                ("active", models.BooleanField(default=True, verbose_name="Active")),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "organizer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="video_streaming_servers",
                        to="eventyay_base.organizer",
                    ),
                ),
            ],
            options={"ordering": ("name", "pk")},
        ),
        migrations.CreateModel(
            name="RoomStream",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("stream", models.CharField(max_length=64, unique=True)),
                ("key", models.TextField()),
                ("key_rotated", models.DateTimeField()),
                (
                    "fallback_url",
                    models.URLField(
                        blank=True,
                        help_text="An HLS stream shown while the primary stream is down.",
                        max_length=500,
                        verbose_name="Fallback stream",
                    ),
                ),
                ("failures", models.PositiveIntegerField(default=0)),
                ("primary_ok", models.BooleanField(default=True)),
                ("checked", models.DateTimeField(blank=True, null=True)),
                (
                    "room",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="stream",
                        to="eventyay_video.room",
                    ),
                ),
                (
                    "server",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="streams",
                        to="eventyay_video.streamingserver",
                    ),
                ),
            ],
        ),
        migrations.RunPython(bbb_configs_to_servers, migrations.RunPython.noop),
    ]
