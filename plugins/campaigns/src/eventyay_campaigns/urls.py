from django.urls import include, path, register_converter

from eventyay_campaigns.gating import gated
from eventyay_campaigns.views import analytics, callbacks, public, signup
from eventyay_campaigns.views import automation as automation_views
from eventyay_campaigns.views import campaigns as campaign_views
from eventyay_campaigns.views import contacts as views


class SignedTokenConverter:
    """A token of :mod:`django.core.signing` (always holds a colon, which no slug has).

    So ``/c/<token>/`` never shadows an event of an organizer whose short form is ``c``.
    """

    regex = r"[A-Za-z0-9_.-]+:[A-Za-z0-9_:-]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SignedTokenConverter, "signed")

PREFIX = "contacts/"
AUTOMATION = "automation/"

#: Under ``/control/organizer/<organizer>/``, there only for organizers that switched the plugin on.
control_patterns = [
    path(PREFIX, views.contacts, name="control.contacts"),
    path(PREFIX + "add/", views.contact_create, name="control.contact.add"),
    path(PREFIX + "import/", views.contact_import, name="control.import"),
    path(PREFIX + "import/columns/", views.contact_import_map, name="control.import.map"),
    path(PREFIX + "import/jobs/<uuid:job>/", views.contact_import_job, name="control.import.job"),
    path(PREFIX + "hosts/", views.hosts_backfill, name="control.hosts"),
    path(PREFIX + "fields/", views.custom_fields, name="control.fields"),
    path(PREFIX + "fields/<int:pk>/delete/", views.custom_field_delete, name="control.field.delete"),
    path(PREFIX + "segments/", views.segments, name="control.segments"),
    path(PREFIX + "segments/add/", views.segment_create, name="control.segment.add"),
    path(PREFIX + "segments/<int:pk>/", views.segment_edit, name="control.segment"),
    path(PREFIX + "segments/<int:pk>/delete/", views.segment_delete, name="control.segment.delete"),
    path(PREFIX + "<int:pk>/", views.contact_detail, name="control.contact"),
    path(PREFIX + "<int:pk>/edit/", views.contact_edit, name="control.contact.edit"),
    path(PREFIX + "<int:pk>/delete/", views.contact_delete, name="control.contact.delete"),
    path(PREFIX + "<int:pk>/erase/", views.contact_erase, name="control.contact.erase"),
    path(PREFIX + "<int:pk>/export/", views.contact_export, name="control.contact.export"),
    path("analytics/campaigns/", analytics.campaign_analytics, name="control.analytics"),
    *[
        path(AUTOMATION + route, view, name=f"control.automation.{name}")
        for route, view, name in (
            ("", automation_views.rules, "rules"),
            ("add/", automation_views.rule_edit, "rule.add"),
            ("<int:pk>/", automation_views.rule_edit, "rule"),
            ("<int:pk>/pause/", automation_views.rule_pause, "rule.pause"),
            ("<int:pk>/delete/", automation_views.rule_delete, "rule.delete"),
            ("templates/", automation_views.templates, "templates"),
            ("templates/add/", automation_views.template_edit, "template.add"),
            ("templates/<int:pk>/", automation_views.template_edit, "template"),
            ("sms/", automation_views.sms, "sms"),
            ("inbound/", automation_views.inbound_endpoint, "inbound"),
        )
    ],
    path(
        PREFIX + "<int:pk>/automation/", automation_views.contact_timeline, name="control.contact.automation"
    ),
    path(PREFIX + "campaigns/", campaign_views.campaigns, name="control.campaigns"),
    path(PREFIX + "campaigns/add/", campaign_views.campaign_create, name="control.campaign.add"),
    path(PREFIX + "campaigns/<int:pk>/", campaign_views.campaign_detail, name="control.campaign"),
    path(
        PREFIX + "campaigns/<int:pk>/progress/",
        campaign_views.campaign_progress,
        name="control.campaign.progress",
    ),
    path(
        PREFIX + "campaigns/<int:pk>/<slug:action>/",
        campaign_views.campaign_action,
        name="control.campaign.action",
    ),
]

# The control pages under one prefix, so that other URLs are not tried against each of them.
# Everything but the links of messages already sent and the provider callbacks is there only
# for organizers that switched the plugin on.
urlpatterns = [
    path("control/organizer/<slug:organizer>/", include(gated(control_patterns))),
    path("campaigns/<slug:organizer>/sms/twilio/status/", callbacks.twilio_status, name="sms.twilio.status"),
    path("campaigns/inbound/<str:key>/", callbacks.inbound_webhook, name="inbound"),
    *gated(
        [
            path("_signup/<slug:organizer>/", signup.signup, name="signup"),
            path(
                "_signup/<slug:organizer>/confirm/<signed:token>/",
                signup.signup_confirm,
                name="signup.confirm",
            ),
        ]
    ),
    path("c/<signed:token>/", public.click, name="click"),
    path("o/<signed:token>/", public.open_pixel, name="open"),
    path("unsubscribe/<signed:token>/", public.unsubscribe, name="unsubscribe"),
]
