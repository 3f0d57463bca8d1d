"""Public pages under ``/<organizer>/<event>/`` and control pages under
``/control/event/<organizer>/<event>/`` (namespace ``plugins:talk``)."""

from django.urls import path, re_path
from django_scopes import scopes_disabled

from eventyay_talk.views import cfp, exports, pretalx_redirects, schedule, speaker

# The URLconf is imported on the first request, before the tenant middleware opens a scope.
# Model forms of scoped models build their choice querysets when their classes are created,
# which django-scopes refuses outside a scope; creating a queryset reads no rows.
with scopes_disabled():
    from eventyay_talk.control import urls as control_urls

event_patterns = [
    path("cfp", cfp.cfp, name="cfp"),
    path("cfp/", cfp.cfp),
    path("submit/", cfp.submit_start, name="submit"),
    path("submit/<slug:step>/", cfp.submit_step, name="submit.step"),
    path("me/", speaker.submissions, name="speaker.submissions"),
    path("me/profile/", speaker.profile, name="speaker.profile"),
    path("me/submissions/<str:code>/", speaker.submission_detail, name="speaker.submission"),
    path("me/submissions/<str:code>/state/", speaker.submission_state, name="speaker.submission.state"),
    path("me/submissions/<str:code>/invite/", speaker.submission_invite, name="speaker.submission.invite"),
    path("me/files/<int:pk>/", speaker.answer_file, name="speaker.answer_file"),
    path("me/starred/reset/", schedule.feed_reset, name="starred.reset"),
    path("invitation/<str:token>/", speaker.invitation_accept, name="invitation.accept"),
    path("schedule/", schedule.schedule, name="schedule"),
    path("schedule/changelog/", schedule.changelog, name="changelog"),
    re_path(
        r"^schedule/v/(?P<version>[^/]+)\.(?P<identifier>[a-z0-9]+)$",
        exports.export_version,
        name="export.version",
    ),
    re_path(r"^schedule\.(?P<identifier>[a-z0-9]+)$", exports.export_latest, name="export.latest"),
    path("schedule/starred/<str:token>.ics", exports.starred_feed, name="starred.feed"),
    re_path(r"^talk/(?P<code>[A-Z0-9]+)\.ics$", exports.talk_ics, name="talk.ics"),
    path("talk/<str:code>/", schedule.talk, name="talk"),
    path("talk/<str:code>/star/", schedule.star, name="talk.star"),
    path("speaker/", schedule.speakers, name="speakers"),
    path("speaker/<str:code>/", schedule.speaker, name="speaker"),
    path("speaker/<str:code>/talks.ics", exports.speaker_ics, name="speaker.ics"),
]

control_patterns = list(control_urls.patterns)

# Links of an event imported from pretalx (see ``views.pretalx_redirects``).
urlpatterns = [
    re_path(
        r"^(?P<source_event>[a-zA-Z0-9][a-zA-Z0-9.-]*)/talk/(?P<code>[A-Z0-9]+)/$",
        pretalx_redirects.talk,
        name="pretalx.talk",
    ),
    re_path(
        r"^(?P<source_event>[a-zA-Z0-9][a-zA-Z0-9.-]*)/speaker/(?P<code>[A-Z0-9]+)/$",
        pretalx_redirects.speaker,
        name="pretalx.speaker",
    ),
]
