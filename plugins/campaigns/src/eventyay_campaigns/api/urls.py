from django.urls import path
from rest_framework.routers import SimpleRouter

from eventyay_campaigns.api import views
from eventyay_campaigns.api.analytics import CampaignAnalyticsView
from eventyay_campaigns.api.automation import RuleViewSet, TemplateViewSet
from eventyay_campaigns.api.campaigns import CampaignViewSet
from eventyay_campaigns.gating import gated

router = SimpleRouter()
router.register("contacts", views.ContactViewSet, basename="contacts")
router.register("segments", views.SegmentViewSet, basename="segments")
router.register("campaigns", CampaignViewSet, basename="campaigns")
router.register("automation/rules", RuleViewSet, basename="automation-rules")
router.register("automation/templates", TemplateViewSet, basename="automation-templates")

#: The API of the plugin answers only for organizers that switched it on.
organizer_patterns = gated(
    [
        *router.urls,
        path("analytics/campaigns/", CampaignAnalyticsView.as_view(), name="analytics-campaigns"),
    ],
    api=True,
)
