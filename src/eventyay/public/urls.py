from django.urls import path

from eventyay.public import views

app_name = "public"
urlpatterns = [
    path("", views.index, name="index"),
    path("<organizer:organizer>/", views.organizer_index, name="organizer.index"),
    path("<organizer:organizer>/<slug:event>/", views.event_index, name="event.index"),
]
