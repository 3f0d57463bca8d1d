"""Exhibitors, contact requests and posters."""

import django.db.models.deletion
from django.db import migrations, models

import eventyay.base.storage


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_base", "0002_logentry_oauth_application"),
        ("eventyay_video", "0004_server_pools"),
    ]

    operations = [
        migrations.CreateModel(
            name="Exhibitor",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200, verbose_name="Name")),
                (
                    "short_text",
                    models.CharField(blank=True, max_length=300, verbose_name="Short description"),
                ),
                ("text", models.TextField(blank=True, verbose_name="Description")),
                ("logo_url", models.URLField(blank=True, verbose_name="Logo URL")),
                (
                    "logo",
                    models.ImageField(
                        blank=True,
                        max_length=255,
                        upload_to=eventyay.base.storage.UnguessableName("video/exhibitors"),
                        verbose_name="Logo",
                    ),
                ),
                ("links", models.JSONField(blank=True, default=list, verbose_name="Links")),
                ("social", models.JSONField(blank=True, default=list, verbose_name="Social profiles")),
                ("call_url", models.URLField(blank=True, verbose_name="Video call link")),
                ("order", models.PositiveIntegerField(default=0, verbose_name="Position")),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "event",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="video_exhibitors",
                        to="eventyay_base.event",
                    ),
                ),
                (
                    "room",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="exhibitor",
                        to="eventyay_video.room",
                    ),
                ),
            ],
            options={"ordering": ("order", "name", "pk")},
        ),
        migrations.CreateModel(
            name="Poster",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("title", models.CharField(max_length=300, verbose_name="Title")),
                ("authors", models.JSONField(blank=True, default=list, verbose_name="Authors")),
                ("abstract", models.TextField(blank=True, verbose_name="Abstract")),
                ("category", models.CharField(blank=True, max_length=100, verbose_name="Category")),
                (
                    "pdf",
                    models.FileField(
                        blank=True,
                        max_length=255,
                        storage=eventyay.base.storage.get_private_storage,
                        upload_to=eventyay.base.storage.UnguessableName("video/posters"),
                        verbose_name="PDF",
                    ),
                ),
                ("pdf_name", models.CharField(blank=True, max_length=255)),
                (
                    "submission_code",
                    models.CharField(blank=True, max_length=32, verbose_name="Proposal code"),
                ),
                ("order", models.PositiveIntegerField(default=0, verbose_name="Position")),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "channel",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="poster",
                        to="eventyay_video.chatchannel",
                    ),
                ),
                (
                    "event",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="video_posters",
                        to="eventyay_base.event",
                    ),
                ),
                (
                    "room",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="posters",
                        to="eventyay_video.room",
                    ),
                ),
            ],
            options={"ordering": ("order", "title", "pk")},
        ),
        migrations.CreateModel(
            name="ContactRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("uid", models.CharField(max_length=200, verbose_name="User id")),
                ("name", models.CharField(max_length=200, verbose_name="Name")),
                ("message", models.CharField(blank=True, max_length=500, verbose_name="Message")),
                (
                    "state",
                    models.CharField(
                        choices=[("open", "Open"), ("accepted", "Accepted"), ("declined", "Declined")],
                        default="open",
                        max_length=10,
                        verbose_name="State",
                    ),
                ),
                ("answered_by", models.CharField(blank=True, max_length=200)),
                ("answered_by_name", models.CharField(blank=True, max_length=200)),
                ("created", models.DateTimeField(auto_now_add=True)),
                ("answered", models.DateTimeField(blank=True, null=True)),
                (
                    "exhibitor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="contact_requests",
                        to="eventyay_video.exhibitor",
                    ),
                ),
            ],
            options={
                "ordering": ("-created", "-pk"),
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("state", "open")),
                        fields=("exhibitor", "uid"),
                        name="video_one_open_contact_request",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="PosterVote",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("uid", models.CharField(max_length=200)),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "poster",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="votes",
                        to="eventyay_video.poster",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("poster", "uid"), name="video_one_vote_per_poster")
                ]
            },
        ),
    ]
