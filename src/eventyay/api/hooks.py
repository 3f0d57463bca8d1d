"""The API app's own hook implementations: it links its control pages like a plugin would."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from eventyay.base.models import Organizer
from eventyay.base.plugins import NavItem, hookimpl


@hookimpl
def control_nav_organizer(organizer: Organizer, request: HttpRequest) -> list[NavItem]:
    from eventyay.control.permissions import request_grant

    if not request_grant(request, organizer).has_organizer_permission("organizer.settings:write"):
        return []
    return [
        NavItem(
            label=_("Webhooks"),
            url=reverse("control:organizer.webhooks", kwargs={"organizer": organizer.slug}),
            active_prefix="control:organizer.webhook",
        )
    ]
