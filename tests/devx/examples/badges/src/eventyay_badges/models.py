from django.db import models
from django_scopes import ScopedManager

from eventyay.base.models import Event


class Item(models.Model):
    """One item of an event. Queries need the organizer's scope (``django_scopes.scope``)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="badges_items")
    name = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("created", "pk")

    def __str__(self) -> str:
        return self.name
