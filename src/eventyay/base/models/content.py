from django.db import models

from eventyay.base.models.event import Event


class ContentVersion(models.Model):
    """The durable copy of an event's public content version (see ``eventyay.base.services.cache``).

    A row of its own rather than a column on :class:`Event`: an ``Event.save()`` from a form
    loaded before a bump would otherwise write the old number back, and cached pages of that
    old number would come back to life. Only the cache service reads and writes it, always by
    ``event_id``, so it needs no tenant scope.
    """

    event = models.OneToOneField(Event, on_delete=models.CASCADE, primary_key=True, related_name="+")
    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.event_id}@{self.version}"
