from django.urls import path

from eventyay.public import views

app_name = "public"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:organizer>/", views.organizer_index, name="organizer.index"),
    path("<slug:organizer>/<slug:event>/", views.event_index, name="event.index"),
]
