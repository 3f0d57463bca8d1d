from django.db import models
from django_scopes import ScopedManager

from eventyay.base.models import Event


class DummyCall(models.Model):
    """One call of a dummy hook for an event; the contract tests count these rows."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="dummy_calls")
    hook = models.CharField(max_length=50)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("created", "pk")

    def __str__(self) -> str:
        return f"{self.hook} on {self.event_id}"
