from django.urls import path

from eventyay_badges import views

# Mounted under /<organizer>/<event>/; answers 404 where the plugin is off.
event_patterns = [path("badges/", views.index, name="index")]
# Mounted under /control/event/<organizer>/<event>/.
control_patterns = [path("badges/", views.item_list, name="control.items")]
