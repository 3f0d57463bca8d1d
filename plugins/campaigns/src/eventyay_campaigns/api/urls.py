from rest_framework.routers import SimpleRouter

from eventyay_campaigns.api import views

router = SimpleRouter()
router.register("contacts", views.ContactViewSet, basename="contacts")
router.register("segments", views.SegmentViewSet, basename="segments")

organizer_patterns = [*router.urls]
