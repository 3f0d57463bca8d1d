from django.urls import path

from eventyay_dummy.api import views

event_patterns = [path("dummy/", views.DummyStatusView.as_view(), name="status")]
