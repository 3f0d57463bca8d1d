"""Hook implementations of the campaigns plugin.

The contacts are filled from the notifications of the tickets and talk plugins, implemented
as optional hooks: without those plugins installed nothing calls them, and campaigns never
imports their code. Like every event notification they reach this plugin on events where it
is switched on; :func:`eventyay_campaigns.services.contacts.hosts_backfill` adds the team members.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_scopes import scope

from eventyay.base.models import Event, Organizer
from eventyay.base.permissions import grant_for_user
from eventyay.base.plugins import NavItem, TeamPermission, hookimpl
from eventyay_campaigns.channels import EmailChannel, MessageChannel
from eventyay_campaigns.channels_sms import SmsChannel

READ_PERMISSION = "organizer.contacts:read"
WRITE_PERMISSION = "organizer.contacts:write"
CAMPAIGNS_READ_PERMISSION = "organizer.campaigns:read"
CAMPAIGNS_WRITE_PERMISSION = "organizer.campaigns:write"


@hookimpl
def register_team_permissions() -> list[TeamPermission]:
    return [
        TeamPermission(READ_PERMISSION, _("View contacts and segments")),
        TeamPermission(
            WRITE_PERMISSION, _("Edit, import, merge, export and erase contacts; manage segments")
        ),
        TeamPermission(CAMPAIGNS_READ_PERMISSION, _("View campaigns, automation rules and their figures")),
        TeamPermission(
            CAMPAIGNS_WRITE_PERMISSION, _("Create, send, pause and cancel campaigns; manage automation rules")
        ),
    ]


@hookimpl
def register_message_channels() -> list[MessageChannel]:
    return [EmailChannel(), SmsChannel()]


@hookimpl
def control_nav_organizer(organizer: Organizer, request: HttpRequest) -> list[NavItem]:
    from eventyay_campaigns.gating import campaigns_enabled

    grant = grant_for_user(request.user, organizer)
    items: list[NavItem] = []
    if not grant.has_organizer_permission(READ_PERMISSION) and not grant.has_organizer_permission(
        CAMPAIGNS_READ_PERMISSION
    ):
        return items
    if not campaigns_enabled(organizer):
        return items
    if grant.has_organizer_permission(READ_PERMISSION):
        items.append(
            NavItem(
                label=str(_("Contacts")),
                url=reverse("plugins:campaigns:control.contacts", kwargs={"organizer": organizer.slug}),
                active_prefix="plugins:campaigns:control.",
            )
        )
    if grant.has_organizer_permission(CAMPAIGNS_READ_PERMISSION):
        items.append(
            NavItem(
                label=str(_("Automation")),
                url=reverse(
                    "plugins:campaigns:control.automation.rules", kwargs={"organizer": organizer.slug}
                ),
                active_prefix="plugins:campaigns:control.automation.",
            )
        )
        items.append(
            NavItem(
                label=str(_("Campaign analytics")),
                url=reverse("plugins:campaigns:control.analytics", kwargs={"organizer": organizer.slug}),
                active_prefix="plugins:campaigns:control.analytics",
            )
        )
    return items


@hookimpl(optionalhook=True)
def order_placed(event: Event, order: Any) -> None:
    from eventyay_campaigns.services.attribution import order_attribute
    from eventyay_campaigns.services.automation import order_fire
    from eventyay_campaigns.services.contacts import order_record

    with scope(organizer=event.organizer):
        order_record(event=event, order=order, paid=order.status == "paid")
        order_attribute(event=event, order=order)
        order_fire(event=event, order=order, trigger="order_placed")


@hookimpl(optionalhook=True)
def order_paid(event: Event, order: Any) -> None:
    from eventyay_campaigns.services.automation import order_fire
    from eventyay_campaigns.services.contacts import order_record

    with scope(organizer=event.organizer):
        order_record(event=event, order=order, paid=True)
        order_fire(event=event, order=order, trigger="order_paid")


@hookimpl(optionalhook=True)
def order_canceled(event: Event, order: Any) -> None:
    from eventyay_campaigns.services.attribution import order_attribution_cancel
    from eventyay_campaigns.services.contacts import order_cancel_record

    with scope(organizer=event.organizer):
        order_cancel_record(event=event, order=order)
        order_attribution_cancel(event=event, order=order)


@hookimpl(optionalhook=True)
def submission_state_changed(submission: Any, old_state: str, new_state: str) -> None:
    from eventyay_campaigns.services.automation import submission_fire
    from eventyay_campaigns.services.contacts import submission_record

    with scope(organizer=submission.event.organizer):
        submission_record(submission=submission, new_state=new_state)
        if new_state == "accepted":
            submission_fire(submission=submission)


@hookimpl(optionalhook=True)
def checkin_created(event: Event, checkin: Any) -> None:
    from eventyay_campaigns.services.automation import checkin_fire

    with scope(organizer=event.organizer):
        checkin_fire(event=event, checkin=checkin)


@hookimpl
def register_job_runners() -> dict[str, Any]:
    from eventyay_campaigns.importing import IMPORT_JOB_KIND, import_job_run

    return {IMPORT_JOB_KIND: import_job_run}
