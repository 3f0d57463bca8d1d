"""The inbound webhook: a signed endpoint through which other systems create and update contacts."""

from __future__ import annotations

from django.db import models
from django_scopes import ScopedManager

from eventyay.base.models import Organizer
from eventyay_campaigns.models.contacts import Contact


class InboundEndpoint(models.Model):
    organizer = models.OneToOneField(Organizer, on_delete=models.CASCADE, related_name="inbound_endpoint")
    #: The unguessable part of the URL, so the endpoint does not reveal the organizer's slug.
    key = models.CharField(max_length=64, unique=True)
    #: The signing secret, encrypted with :func:`eventyay.base.secrets.secret_encrypt`.
    secret = models.TextField()
    created = models.DateTimeField(auto_now_add=True)
    rotated = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organizer="organizer")

    def __str__(self) -> str:
        return f"{self.organizer_id}"


class InboundDelivery(models.Model):
    """A request the endpoint received; ``signature`` is unique, so a replay is refused."""

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="+", db_index=False)
    #: The request's signature digest (hex); empty for requests refused before it was checked.
    signature = models.CharField(max_length=64, null=True, blank=True, unique=True)
    status = models.PositiveSmallIntegerField()
    error = models.TextField(blank=True)
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("-created", "-id")
        indexes = [models.Index(fields=["organizer", "created"], name="campaigns_inbound_created")]

    def __str__(self) -> str:
        return f"{self.status} {self.created}"
