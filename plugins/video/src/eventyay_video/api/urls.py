from django.urls import path
from rest_framework.routers import SimpleRouter

from eventyay_video.api import servers, views

router = SimpleRouter()
router.register("video/rooms", views.RoomViewSet, basename="rooms")

event_patterns = [
    path("video/tokens/", views.TokenView.as_view(), name="tokens"),
    path("video/tokens/revoke/", views.TokenRevokeView.as_view(), name="tokens.revoke"),
    path("video/tokens/revoke-all/", views.TokenRevokeAllView.as_view(), name="tokens.revoke_all"),
    *router.urls,
]

servers_router = SimpleRouter(use_regex_path=False)
servers_router.register("video/bbb-servers", servers.BBBServerViewSet, basename="bbb-servers")
servers_router.register(
    "video/streaming-servers", servers.StreamingServerViewSet, basename="streaming-servers"
)
servers_router.register("video/janus-servers", servers.JanusServerViewSet, basename="janus-servers")

organizer_patterns = [*servers_router.urls]
