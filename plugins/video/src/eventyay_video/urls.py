from django.urls import path

from eventyay_video import views

event_patterns = [
    path("video/", views.video_page, name="video.index"),
]

control_patterns = [
    path("video/", views.rooms, name="control.rooms"),
    path("video/join/", views.join, name="control.join"),
    path("video/rooms/<int:room>/", views.room_detail, name="control.room"),
    path("video/rooms/<int:room>/delete/", views.room_delete, name="control.room.delete"),
    path(
        "video/rooms/<int:room>/modules/<int:module>/delete/",
        views.module_delete,
        name="control.module.delete",
    ),
    path("video/moderation/", views.moderation, name="control.moderation"),
    path("video/announcements/", views.announcements, name="control.announcements"),
    path("video/reports/", views.reports, name="control.reports"),
    path("video/janus/", views.janus_servers, name="control.janus"),
    path("video/janus/<int:server>/", views.janus_server_detail, name="control.janus.server"),
    path("video/janus/<int:server>/delete/", views.janus_server_delete, name="control.janus.server.delete"),
]
