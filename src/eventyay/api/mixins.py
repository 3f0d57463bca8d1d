"""View mixins for API views under an organizer or an event, for core and plugins alike.

``EventViewMixin`` gives a viewset ``self.organizer`` and ``self.event`` (resolved from the URL
by the tenant middleware, which has already opened the organizer's scope and answered 404 when
the event does not exist or the plugin is off for it), the :class:`EventPermission` check and
both objects in the serializer context::

    from rest_framework import mixins, viewsets

    from eventyay.api.mixins import EventViewMixin


    class SessionViewSet(EventViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
        permission = "event.talks:read"
        write_permission = "event.talks:write"
        serializer_class = SessionSerializer
        filterset_fields = ["state"]
        ordering_fields = ["start", "title"]

        def get_queryset(self):
            return Session.objects.filter(event=self.event)

Pagination, filtering, ordering, throttling, idempotency keys and error shapes come from the
API defaults; nothing else needs configuring.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from eventyay.api.permissions import EventPermission, OrganizerPermission
from eventyay.base.models import Event, Organizer

if TYPE_CHECKING:
    from rest_framework.permissions import _PermissionClass

__all__ = ["EventViewMixin", "OrganizerViewMixin"]


class OrganizerViewMixin:
    """For views under ``/api/v1/organizers/<organizer>/``."""

    permission_classes: Sequence[_PermissionClass] = [OrganizerPermission]
    #: Team permission needed for safe methods (None: any member of the organizer).
    permission: str | None = None
    #: Team permission needed for POST, PUT, PATCH and DELETE (None: same as ``permission``).
    write_permission: str | None = None
    #: Per-action overrides, e.g. ``{"checkin": "event.checkin:write"}``.
    action_permissions: dict[str, str] = {}

    request: Any

    @property
    def organizer(self) -> Organizer:
        # getattr: the schema generator calls views with a request that never saw the middleware.
        # (Views always run behind the middleware; only schema generation sees None here.)
        return cast(Organizer, getattr(self.request, "organizer", None))

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()  # type: ignore[misc]
        context["organizer"] = getattr(self.request, "organizer", None)
        context["event"] = getattr(self.request, "event", None)
        return context


class EventViewMixin(OrganizerViewMixin):
    """For views under ``/api/v1/organizers/<organizer>/events/<event>/``."""

    permission_classes: Sequence[_PermissionClass] = [EventPermission]

    @property
    def event(self) -> Event:
        return cast(Event, getattr(self.request, "event", None))
