"""Control panel pages for API access: OAuth applications and webhooks."""

from django.urls import path

from eventyay.control import views_api

ORGANIZER = "organizer/<slug:organizer>/"

urlpatterns = [
    path("api/applications/", views_api.application_list, name="api.applications"),
    path("api/applications/<int:pk>/", views_api.application_detail, name="api.application"),
    path("api/applications/<int:pk>/delete/", views_api.application_delete, name="api.application.delete"),
    path("api/authorized/", views_api.authorized_list, name="api.authorized"),
    path("api/authorized/<int:pk>/revoke/", views_api.authorized_revoke, name="api.authorized.revoke"),
    path(ORGANIZER + "webhooks/", views_api.webhook_list, name="organizer.webhooks"),
    path(ORGANIZER + "webhooks/add/", views_api.webhook_create, name="organizer.webhook.add"),
    path(ORGANIZER + "webhooks/<int:pk>/", views_api.webhook_detail, name="organizer.webhook"),
    path(
        ORGANIZER + "webhooks/<int:pk>/delete/",
        views_api.webhook_delete_view,
        name="organizer.webhook.delete",
    ),
    path(
        ORGANIZER + "webhooks/<int:pk>/deliveries/",
        views_api.webhook_deliveries,
        name="organizer.webhook.deliveries",
    ),
    path(
        ORGANIZER + "webhooks/<int:pk>/deliveries/<int:delivery>/retry/",
        views_api.webhook_delivery_retry_view,
        name="organizer.webhook.delivery.retry",
    ),
]
