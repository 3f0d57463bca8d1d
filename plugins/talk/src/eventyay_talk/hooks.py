"""The talk plugin's hook implementations (core hooks and its own ``register_schedule_exporters``)."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from eventyay.base.plugins import NavItem, OAuthScope, Section, TeamPermission, WebhookActionType, hookimpl

#: Team permissions the talk plugin checks.
PERMISSIONS = [
    TeamPermission("event.submissions:read", _("View proposals and speakers")),
    TeamPermission("event.submissions:write", _("Change proposals, decide on them and edit the CfP")),
    TeamPermission("event.reviews:write", _("Review proposals (all tracks)")),
    TeamPermission("event.schedule:write", _("Edit rooms and the schedule, release schedule versions")),
]


@hookimpl
def register_team_permissions() -> list[TeamPermission]:
    return list(PERMISSIONS)


@hookimpl
def register_webhook_action_types() -> list[WebhookActionType]:
    return [
        WebhookActionType("submission.state_changed", str(_("Proposal state changed"))),
        WebhookActionType("submission.changed", str(_("Proposal changed"))),
        WebhookActionType("schedule.released", str(_("Schedule version released"))),
    ]


@hookimpl
def register_oauth_scopes() -> list[OAuthScope]:
    return [
        OAuthScope("submissions:read", str(_("Read proposals, speakers and reviews"))),
        OAuthScope("submissions:write", str(_("Change proposals and decide on them"))),
        OAuthScope("schedule:write", str(_("Change the schedule and release versions"))),
    ]


@hookimpl
def register_schedule_exporters(event: Any) -> list[Any]:
    from eventyay_talk.exporters import BUILTIN_EXPORTERS

    return list(BUILTIN_EXPORTERS)


@hookimpl
def register_data_exporters(event: Any) -> list[Any]:
    from eventyay_talk.data_exporters import DATA_EXPORTERS

    return list(DATA_EXPORTERS)


@hookimpl
def event_public_sections(event: Any, request: Any) -> list[Section]:
    from eventyay_talk.selectors import cfp_is_open, cfp_of, latest_schedule

    cfp = cfp_of(event)
    context = {"event": event, "cfp": cfp, "cfp_open": cfp_is_open(event), "schedule": latest_schedule(event)}
    html = render_to_string("eventyay_talk/section.html", context, request)
    return [Section(title=str(_("Programme")), html=html, key="talk")]


@hookimpl
def demo_data(event: Any) -> None:
    from eventyay_talk.services.demo import demo_talk_data

    demo_talk_data(event=event)


@hookimpl
def control_dashboard_widgets(event: Any, request: Any) -> list[Any]:
    from eventyay_talk.control.dashboard import dashboard_widgets

    return dashboard_widgets(event, request)


@hookimpl
def control_nav_event(event: Any, request: Any) -> list[NavItem]:
    from eventyay_talk.control.nav import control_nav

    return control_nav(event, request)


@hookimpl
def public_navigation(event: Any, request: Any) -> list[Any]:
    from django.urls import reverse

    from eventyay.base.plugins import PublicNavItem
    from eventyay_talk.selectors import cfp_is_open, latest_schedule

    def url(name: str) -> str:
        return reverse(
            f"plugins:talk:{name}", kwargs={"organizer": event.organizer.slug, "event": event.slug}
        )

    entries = []
    if latest_schedule(event) is not None:
        schedule, speakers = url("schedule"), url("speakers")
        talks = schedule.replace("schedule/", "talk/")
        entries += [
            PublicNavItem(
                label=_("Schedule"),
                url=schedule,
                active=request.path.startswith(schedule) or request.path.startswith(talks),
                priority=20,
            ),
            PublicNavItem(
                label=_("Speakers"), url=speakers, active=request.path.startswith(speakers), priority=30
            ),
        ]
    if cfp_is_open(event):
        cfp, submit = url("cfp"), url("submit")
        active = request.path.startswith(cfp) or request.path.startswith(submit)
        entries.append(PublicNavItem(label=_("Call for papers"), url=cfp, active=active, priority=40))
    if request.user.is_authenticated:
        mine = url("speaker.submissions")
        entries.append(
            PublicNavItem(
                label=_("My proposals"), url=mine, active=request.path.startswith(mine), priority=45
            )
        )
    return entries


@hookimpl
def register_job_runners() -> dict[str, Any]:
    from eventyay_talk.importers.pretalx_jobs import PRETALX_JOB_KIND, pretalx_job_run
    from eventyay_talk.importers.schedule_xml_jobs import SCHEDULE_XML_JOB_KIND, schedule_xml_job_run
    from eventyay_talk.jobs import (
        DECISIONS_JOB_KIND,
        RELEASE_JOB_KIND,
        decisions_apply_job_run,
        schedule_release_job_run,
    )

    return {
        PRETALX_JOB_KIND: pretalx_job_run,
        SCHEDULE_XML_JOB_KIND: schedule_xml_job_run,
        RELEASE_JOB_KIND: schedule_release_job_run,
        DECISIONS_JOB_KIND: decisions_apply_job_run,
    }
