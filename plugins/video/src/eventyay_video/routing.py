"""Websocket routes, served by the project's ASGI application."""

from django.urls import path

from eventyay_video.consumers import VideoConsumer

websocket_urlpatterns = [
    path("ws/event/<slug:organizer>/<slug:event>/", VideoConsumer.as_asgi()),
]
