"""API routes mounted under ``/api/v1/organizers/<organizer>/events/<event>/``."""

from rest_framework.routers import SimpleRouter

from eventyay_cms.api import views

router = SimpleRouter(use_regex_path=False)
router.register("cms/connections", views.ConnectionViewSet, basename="connection")
router.register("cms/pages", views.PulledPageViewSet, basename="page")

event_patterns = router.urls
