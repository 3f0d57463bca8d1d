from django.urls import path

from eventyay_video import exhibition_views, report_views, server_views, views

event_patterns = [
    path("video/", views.video_page, name="video.index"),
    path("video/posters/<int:poster>/pdf/", exhibition_views.poster_pdf_public, name="video.poster_pdf"),
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
    path("video/user-reports/", report_views.user_reports, name="control.user_reports"),
    path("video/exhibitors/", exhibition_views.exhibitors, name="control.exhibitors"),
    path("video/exhibitors/leads.csv", exhibition_views.leads_csv, name="control.leads"),
    path("video/exhibitors/<int:exhibitor>/", exhibition_views.exhibitor_detail, name="control.exhibitor"),
    path(
        "video/exhibitors/<int:exhibitor>/delete/",
        exhibition_views.exhibitor_delete,
        name="control.exhibitor.delete",
    ),
    path(
        "video/exhibitors/<int:exhibitor>/leads.csv",
        exhibition_views.leads_csv,
        name="control.exhibitor.leads",
    ),
    path("video/posters/", exhibition_views.posters, name="control.posters"),
    path("video/posters/<int:poster>/", exhibition_views.poster_detail, name="control.poster"),
    path("video/posters/<int:poster>/delete/", exhibition_views.poster_delete, name="control.poster.delete"),
    path("video/posters/<int:poster>/pdf/", exhibition_views.poster_pdf, name="control.poster.pdf"),
    path("video/janus/", server_views.janus_servers_moved, name="control.janus"),
    path("video/janus/<int:server>/", server_views.janus_server_moved, name="control.janus.server"),
    path(
        "video/janus/<int:server>/delete/",
        server_views.janus_server_moved,
        name="control.janus.server.delete",
    ),
    path("video/servers/", server_views.servers, name="control.servers"),
    path("video/servers/bbb/<int:server>/", server_views.bbb_server, name="control.servers.bbb"),
    path(
        "video/servers/streaming/<int:server>/",
        server_views.streaming_server,
        name="control.servers.streaming",
    ),
    path("video/servers/janus/<int:server>/", server_views.janus_server, name="control.servers.janus"),
    path("video/rooms/<int:room>/stream/", server_views.room_stream, name="control.room.stream"),
    path("video/recordings/", server_views.recordings, name="control.recordings"),
]
