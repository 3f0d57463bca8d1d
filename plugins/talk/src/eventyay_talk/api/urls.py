"""API routes mounted under ``/api/v1/organizers/<organizer>/events/<event>/``."""

from rest_framework.routers import SimpleRouter

from eventyay_talk.api import views

router = SimpleRouter(use_regex_path=False)
router.register("submissions", views.SubmissionViewSet, basename="submission")
router.register("speakers", views.SpeakerViewSet, basename="speaker")
router.register("reviews", views.ReviewViewSet, basename="review")
router.register("submission-types", views.SubmissionTypeViewSet, basename="submission-type")
router.register("tracks", views.TrackViewSet, basename="track")
router.register("rooms", views.RoomViewSet, basename="room")
# Tickets serves attendee questions at questions/ (pretix-compatible); CfP questions get their own path.
router.register("cfp-questions", views.QuestionViewSet, basename="question")
router.register("answers", views.AnswerViewSet, basename="answer")
router.register("schedules", views.ScheduleViewSet, basename="schedule")
router.register("slots", views.SlotViewSet, basename="slot")

event_patterns = router.urls
