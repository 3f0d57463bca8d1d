from rest_framework.routers import SimpleRouter

from eventyay_badges.api.views import ItemViewSet

router = SimpleRouter()
router.register("badges/items", ItemViewSet, basename="items")

# Mounted under /api/v1/organizers/<organizer>/events/<event>/; 404 where the plugin is off.
event_patterns = router.urls
