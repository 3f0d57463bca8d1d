from __future__ import annotations

from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from eventyay.base.models import Event
from eventyay_cms.models.connections import Connection


class PulledPage(models.Model):
    """A page or post pulled from a CMS, shown at ``/<organizer>/<event>/p/<slug>/``.

    ``html`` is already sanitised; ``content_hash`` covers what the source sent, so an
    unchanged item is skipped without a write.
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="pages")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="cms_pages")
    external_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=16)
    slug = models.SlugField(max_length=190)
    title = models.CharField(max_length=500)
    html = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64)
    remote_modified = models.DateTimeField(null=True, blank=True)
    published = models.BooleanField(default=True)
    show_in_nav = models.BooleanField(default=False)
    nav_position = models.PositiveIntegerField(default=0)
    updated = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("nav_position", "title", "pk")
        constraints = [
            models.UniqueConstraint(fields=["connection", "external_id"], name="cms_page_external_id"),
            models.UniqueConstraint(fields=["event", "slug"], name="cms_page_slug"),
        ]

    def __str__(self) -> str:
        return self.title
