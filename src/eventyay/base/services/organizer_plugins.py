"""Switching plugins of level ``organizer`` on and off for an organizer.

A plugin whose metadata says ``level = "organizer"`` (its features belong to the organizer as
a whole, like the contacts of the campaigns plugin) is switched on once for the organizer
instead of per event. It then counts as enabled on every event of that organizer:
``hooks_for(event)`` and the event notifications (``order_paid``, ``submission_state_changed``,
...) reach it there, and still reach no plugin that is switched on for neither.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from eventyay.base.models import Event, Organizer
from eventyay.base.models.organizer import OrganizerPlugin
from eventyay.base.plugins.manager import installed_plugins
from eventyay.base.services.cache import content_version_bump
from eventyay.base.services.log import Actor, log_action


def organizer_plugin_names(organizer: Organizer) -> frozenset[str]:
    """Names of the organizer-level plugins switched on for ``organizer``."""
    return frozenset(
        OrganizerPlugin.objects.filter(organizer=organizer, enabled=True).values_list("name", flat=True)
    )


def organizer_plugins_update(
    *,
    organizer: Organizer,
    enable: Iterable[str] = (),
    disable: Iterable[str] = (),
    actor: Actor = None,
    is_admin: bool = False,
) -> tuple[set[str], set[str]]:
    """Switch organizer-level plugins on/off for ``organizer`` in one transaction.

    Returns the names switched on and off. A name that is not an installed plugin of level
    ``organizer`` raises :class:`~django.core.exceptions.ValidationError`; event-level plugins
    are switched per event (:func:`eventyay.base.services.plugins.event_plugins_update`). A
    restricted plugin that is not on yet is refused unless ``is_admin`` (an administrator of
    the installation), as it is for events.
    """
    plugins = installed_plugins()
    enable, disable = set(enable), set(disable) - set(enable)
    current_names = organizer_plugin_names(organizer)
    for name in sorted(enable | disable):
        info = plugins.get(name)
        if info is None:
            raise ValidationError(_("There is no plugin named “%(name)s”.") % {"name": name})
        if info.level != "organizer":
            raise ValidationError(
                _("“%(plugin)s” is switched on per event, not for the organizer.")
                % {"plugin": info.display_name}
            )
        if name in enable and info.restricted and not is_admin and name not in current_names:
            raise ValidationError(
                _("“%(plugin)s” can only be enabled by an administrator of this installation.")
                % {"plugin": info.display_name}
            )
    with transaction.atomic():
        current = set(
            OrganizerPlugin.objects.select_for_update()
            .filter(organizer=organizer, enabled=True)
            .values_list("name", flat=True)
        )
        switched_on, switched_off = enable - current, disable & current
        for name in sorted(switched_on):
            OrganizerPlugin.objects.update_or_create(
                organizer=organizer, name=name, defaults={"enabled": True}
            )
        if switched_off:
            OrganizerPlugin.objects.filter(organizer=organizer, name__in=switched_off).update(enabled=False)
        if switched_on or switched_off:
            # Every event's pages and cached plugin set change with it.
            with scopes_disabled():
                event_ids = list(Event.objects.filter(organizer=organizer).values_list("pk", flat=True))
            for event_id in event_ids:
                content_version_bump(event_id)
        for name, action in [(n, "enabled") for n in sorted(switched_on)] + [
            (n, "disabled") for n in sorted(switched_off)
        ]:
            log_action(
                action=f"eventyay.organizer.plugin.{action}",
                organizer=organizer,
                obj=organizer,
                actor=actor,
                data={"plugin": name},
            )
    return switched_on, switched_off
