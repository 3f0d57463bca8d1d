from __future__ import annotations

from typing import Any

from django.db import transaction

from eventyay.base.models import Organizer, Team, User
from eventyay.base.permissions import CORE_PERMISSIONS, all_permissions
from eventyay.base.services.log import Actor, changes, log_action


def organizer_create(*, name: str, slug: str, creator: User | None = None, actor: Actor = None) -> Organizer:
    """Create an organizer and, with ``creator``, an administrators team holding every permission."""
    with transaction.atomic():
        organizer = Organizer(name=name, slug=slug)
        organizer.full_clean()
        organizer.save()
        team = Team.objects.create(
            organizer=organizer,
            name="Administrators",
            all_events=True,
            permissions=sorted({p.name for p in [*CORE_PERMISSIONS, *all_permissions()]}),
        )
        if creator is not None:
            team.members.add(creator)
        log_action(
            action="eventyay.organizer.created",
            organizer=organizer,
            obj=organizer,
            actor=actor or creator,
            data={"name": name, "slug": slug},
        )
    return organizer


#: Settings-store keys an organizer edits on its settings page.
ORGANIZER_SETTINGS_KEYS = (
    "contact_email",
    "imprint_url",
    "privacy_url",
    "mail_from_name",
    "show_on_organizer_page",
    "brand_color",
    "logo_url",
)


def organizer_update(
    *, organizer: Organizer, data: dict[str, Any], settings_values: dict[str, Any], actor: Actor = None
) -> Organizer:
    """Change the organizer's own fields and settings-store values, with one audit entry."""
    fields = ("name", "require_2fa")
    store = organizer.settings
    before = {field: getattr(organizer, field) for field in fields}
    before.update({key: store.get(key) for key in ORGANIZER_SETTINGS_KEYS})
    with transaction.atomic():
        for field in fields:
            if field in data:
                setattr(organizer, field, data[field])
        organizer.full_clean()
        organizer.save(update_fields=list(fields))
        store.update({k: v for k, v in settings_values.items() if k in ORGANIZER_SETTINGS_KEYS})
        after = {field: getattr(organizer, field) for field in fields}
        after.update({key: store.get(key) for key in ORGANIZER_SETTINGS_KEYS})
        diff = changes(before, after)
        if diff["after"]:
            log_action(
                action="eventyay.organizer.changed",
                organizer=organizer,
                obj=organizer,
                actor=actor,
                data=diff,
            )
    return organizer
