"""The demo organizer and event that ``python -m eventyay demo`` (and ``make run``) sets up."""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Event, Organizer, User
from eventyay.base.plugins.manager import hooks_for, installed_plugins
from eventyay.base.services.events import event_create, event_update
from eventyay.base.services.organizer_plugins import organizer_plugins_update
from eventyay.base.services.organizers import organizer_create
from eventyay.base.services.plugins import event_plugins_update

DEMO_ADMIN_EMAIL = "admin@demo.eventyay.invalid"


@dataclass
class DemoResult:
    organizer: Organizer
    event: Event
    admin_email: str
    admin_password: str | None


def demo_plugins() -> tuple[list[str], list[str]]:
    """The plugins the demo switches on: ``(for the event, for the organizer)``, every visible one."""
    visible = {name: info for name, info in installed_plugins().items() if info.visible}
    return (
        [name for name, info in visible.items() if info.level != "organizer"],
        [name for name, info in visible.items() if info.level == "organizer"],
    )


def demo_setup(*, admin_password: str | None = None) -> DemoResult:
    """Create or refresh the demo data; idempotent. Returns the admin password if it was (re)set."""
    # Plugins of level organizer (the contacts and campaigns) are switched on for the demo
    # organizer before the event's data exists, so they see its orders and talks arrive.
    plugins, organizer_plugins = demo_plugins()
    with scopes_disabled(), transaction.atomic():
        admin = User.objects.filter(email=DEMO_ADMIN_EMAIL).first()
        password = admin_password
        if admin is None:
            password = password or secrets.token_urlsafe(9)
            admin = User.objects.create_superuser(DEMO_ADMIN_EMAIL, password, fullname="Demo Admin")
        elif password:
            admin.set_password(password)
            admin.save(update_fields=["password"])
        organizer = Organizer.objects.filter(slug="demo").first()
        if organizer is None:
            organizer = organizer_create(name="Demo Organizer", slug="demo", creator=admin)
    with scope(organizer=organizer):
        organizer_plugins_update(organizer=organizer, enable=organizer_plugins, actor=admin, is_admin=True)
    # Nine in the morning where the event takes place, so the programme starts on the first day.
    local = timezone.localtime(timezone.now() + dt.timedelta(days=30), zoneinfo.ZoneInfo("Europe/Berlin"))
    start = local.replace(hour=9, minute=0, second=0, microsecond=0)
    data = {
        "name": {"en": "DemoCon", "de": "DemoCon"},
        "slug": "democon",
        "description": {
            "en": "A two-day demo conference showing everything eventyay and its plugins do.",
            "de": "Eine zweitägige Demo-Konferenz mit allem, was eventyay und seine Plugins können.",
        },
        "date_from": start,
        "date_to": start + dt.timedelta(days=1, hours=9),
        "timezone": "Europe/Berlin",
        "locale": "en",
        "locales": ["en", "de"],
        "currency": "EUR",
        "live": True,
        "is_public": True,
    }
    with scope(organizer=organizer), transaction.atomic():
        event = Event.objects.filter(organizer=organizer, slug="democon").first()
        if event is None:
            event = event_create(organizer=organizer, data=data, plugins=plugins, actor=admin, is_admin=True)
        else:
            event_update(
                event=event, data={k: v for k, v in data.items() if k not in ("date_from", "date_to")}
            )
            event_plugins_update(event=event, enable=plugins, actor=admin, is_admin=True)
        hooks_for(event).demo_data(event=event)
    return DemoResult(organizer=organizer, event=event, admin_email=DEMO_ADMIN_EMAIL, admin_password=password)
