from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from oauth2_provider.settings import oauth2_settings


class OAuthAuthorization(models.Model):
    """The organizers a user let an OAuth application act on, chosen on the consent screen.

    Created with the authorization code and linked to every token issued from it, refreshed
    ones included, so an application never reaches an organizer the user did not pick.
    """

    application = models.ForeignKey(
        oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="eventyay_authorizations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oauth_authorizations"
    )
    organizers = models.ManyToManyField("eventyay_base.Organizer", related_name="oauth_authorizations")
    grant = models.OneToOneField(
        oauth2_settings.GRANT_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="eventyay_authorization",
    )
    access_tokens: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        oauth2_settings.ACCESS_TOKEN_MODEL, related_name="eventyay_authorizations", blank=True
    )
    refresh_tokens: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        oauth2_settings.REFRESH_TOKEN_MODEL, related_name="eventyay_authorizations", blank=True
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created",)

    def __str__(self) -> str:
        return f"{self.application_id} for {self.user_id}"


class IdempotencyKey(models.Model):
    """A stored answer to a write request that carried ``X-Idempotency-Key``.

    ``actor`` is a hash of the credentials, so two clients never share keys; ``request_hash``
    tells a repeat (same method, path and body: replay the answer) from a conflict (409).
    """

    actor = models.CharField(max_length=64)
    key = models.CharField(max_length=190)
    request_hash = models.CharField(max_length=64)
    #: None while the first request is still being processed.
    response_status = models.PositiveIntegerField(null=True, blank=True)
    #: While the first request runs, its claim on the key lasts until then; a worker that died
    #: leaves an in-progress key that a retry may take over afterwards.
    lease_until = models.DateTimeField(null=True, blank=True)
    response_body = models.BinaryField(default=b"")
    response_content_type = models.CharField(max_length=190, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["actor", "key"], name="eventyay_api_idempotency_unique")
        ]

    def __str__(self) -> str:
        return self.key
