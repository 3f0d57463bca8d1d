from __future__ import annotations

from django.db import models


class Setting(models.Model):
    """One stored value of the settings store (:mod:`eventyay.base.settings`).

    Organizer-level values have ``event`` empty; event-level values have both.
    """

    organizer = models.ForeignKey("Organizer", on_delete=models.CASCADE, related_name="setting_values")
    event = models.ForeignKey(
        "Event", on_delete=models.CASCADE, null=True, blank=True, related_name="setting_values"
    )
    key = models.CharField(max_length=190)
    value = models.JSONField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organizer", "event", "key"], name="setting_unique_event_key"),
            models.UniqueConstraint(
                fields=["organizer", "key"],
                condition=models.Q(event__isnull=True),
                name="setting_unique_org_key",
            ),
        ]

    def __str__(self) -> str:
        return self.key
