from django.urls import path

from eventyay_cms.views import control, public, webhooks

event_patterns = [
    path("p/<slug:slug>/", public.page, name="page"),
    path("cms/webhook/<uuid:connection>/", webhooks.webhook, name="webhook"),
]

control_patterns = [
    path("cms/", control.connections, name="control.connections"),
    path("cms/add/", control.connection_edit, name="control.connection.add"),
    path("cms/<int:pk>/", control.connection_detail, name="control.connection"),
    path("cms/<int:pk>/edit/", control.connection_edit, name="control.connection.edit"),
    path("cms/<int:pk>/sync/", control.connection_sync, name="control.connection.sync"),
    path("cms/<int:pk>/test/", control.connection_test, name="control.connection.test"),
    path("cms/<int:pk>/secret/", control.connection_secret, name="control.connection.secret"),
    path("cms/<int:pk>/delete/", control.connection_delete, name="control.connection.delete"),
]
