from django.template.loader import render_to_string
from django.urls import reverse

from eventyay.base.plugins import NavItem, OAuthScope, Section, TeamPermission, WebhookActionType, hookimpl


@hookimpl
def event_public_sections(event, request):
    html = render_to_string("eventyay_badges/section.html", {"event": event}, request)
    return [Section(title="Badges", html=html, key="badges")]


@hookimpl
def register_team_permissions():
    # Administrators' teams (and their API tokens) hold every permission, these included.
    return [
        TeamPermission("event.badges:read", "View Badges items"),
        TeamPermission("event.badges:write", "Change Badges items"),
    ]


@hookimpl
def control_nav_event(event, request):
    url = reverse(
        "plugins:badges:control.items", kwargs={"organizer": event.organizer.slug, "event": event.slug}
    )
    return [NavItem(label="Badges", url=url, active_prefix="plugins:badges:")]


@hookimpl
def register_oauth_scopes():
    # OAuth applications need these scopes for the API guarded by event.badges:read / :write.
    return [OAuthScope("badges:read", "Read Badges items"), OAuthScope("badges:write", "Change Badges items")]


@hookimpl
def register_webhook_action_types():
    return [WebhookActionType("badges.item.created", "Badges item created")]
