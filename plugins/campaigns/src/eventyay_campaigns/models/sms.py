"""An organizer's SMS settings: which backend sends, and the provider's credentials."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from eventyay.base.models import Organizer


class SmsSettings(models.Model):
    class Backend(models.TextChoices):
        #: Writes each message to a file in the data directory, like the mail file backend.
        CONSOLE = "console", _("Test: write messages to files")
        TWILIO = "twilio", _("Twilio")

    organizer = models.OneToOneField(Organizer, on_delete=models.CASCADE, related_name="sms_settings")
    backend = models.CharField(_("Backend"), max_length=20, choices=Backend.choices, default=Backend.CONSOLE)
    account_sid = models.CharField(_("Account SID"), max_length=64, blank=True)
    #: Encrypted with :func:`eventyay.base.secrets.secret_encrypt`; never shown again.
    auth_token = models.TextField(_("Auth token"), blank=True)
    #: A phone number in E.164 form, or a messaging service SID (``MG...``).
    sender = models.CharField(_("Sender"), max_length=64, blank=True)

    objects = ScopedManager(organizer="organizer")

    def __str__(self) -> str:
        return f"{self.organizer_id} {self.backend}"
