from django.urls import path

from eventyay_dummy import views

event_patterns = [path("dummy/", views.index, name="index")]
control_patterns = [path("dummy/", views.control_index, name="control.index")]
urlpatterns = [path("_dummy/ping/", views.ping, name="ping")]
