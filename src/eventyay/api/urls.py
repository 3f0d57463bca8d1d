from django.urls import path
from oauth2_provider import views as oauth_views
from rest_framework.routers import SimpleRouter

from eventyay.api import views
from eventyay.api.oauth import AuthorizationView
from eventyay.api.views_events import EventViewSet, OrganizerViewSet
from eventyay.api.views_exports import (
    EventExportDownload,
    EventExporterList,
    EventExporterRun,
    OrganizerExportDownload,
    OrganizerExporterList,
    OrganizerExporterRun,
)
from eventyay.api.views_plugins import OrganizerPluginsView
from eventyay.api.views_teams import InviteViewSet, MemberViewSet, TeamViewSet, TokenViewSet
from eventyay.api.views_webhooks import WebHookDeliveryViewSet, WebHookViewSet

app_name = "api"

ORG = "organizers/<slug:organizer>"
TEAM = ORG + "/teams/<int:team>"
EVENT = ORG + "/events/<slug:event>"

router = SimpleRouter(use_regex_path=False)
router.register("organizers", OrganizerViewSet, basename="organizer")
router.register(ORG + "/events", EventViewSet, basename="event")
router.register(ORG + "/teams", TeamViewSet, basename="team")
router.register(TEAM + "/members", MemberViewSet, basename="team-member")
router.register(TEAM + "/invites", InviteViewSet, basename="team-invite")
router.register(TEAM + "/tokens", TokenViewSet, basename="team-token")
router.register(ORG + "/webhooks", WebHookViewSet, basename="webhook")
router.register(
    ORG + "/webhooks/<int:webhook>/deliveries", WebHookDeliveryViewSet, basename="webhook-delivery"
)

urlpatterns = [
    path("", views.root, name="root"),
    path("me", views.MeView.as_view(), name="me"),
    path("plugins/", views.PluginListView.as_view(), name="plugins"),
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("docs/", views.DocsView.as_view(), name="docs"),
    path("oauth/authorize", AuthorizationView.as_view(), name="oauth.authorize"),
    path("oauth/token", oauth_views.TokenView.as_view(), name="oauth.token"),
    path("oauth/revoke_token", oauth_views.RevokeTokenView.as_view(), name="oauth.revoke"),
    path(f"{EVENT}/exporters/", EventExporterList.as_view(), name="event-exporter-list"),
    path(f"{EVENT}/exporters/<str:identifier>/run/", EventExporterRun.as_view(), name="event-exporter-run"),
    path(
        f"{EVENT}/exporters/<str:identifier>/download/<uuid:job>/",
        EventExportDownload.as_view(),
        name="event-exporter-download",
    ),
    path(f"{ORG}/plugins/", OrganizerPluginsView.as_view(), name="organizer-plugins"),
    path(f"{ORG}/exporters/", OrganizerExporterList.as_view(), name="organizer-exporter-list"),
    path(
        f"{ORG}/exporters/<str:identifier>/run/",
        OrganizerExporterRun.as_view(),
        name="organizer-exporter-run",
    ),
    path(
        f"{ORG}/exporters/<str:identifier>/download/<uuid:job>/",
        OrganizerExportDownload.as_view(),
        name="organizer-exporter-download",
    ),
    *router.urls,
]
