"""The talk plugin's data. Every model is scoped to the organizer through django-scopes."""

from eventyay_talk.models.cfp import (
    AccessCode,
    Answer,
    CfP,
    MailTemplate,
    Question,
    QuestionOption,
    SubmissionType,
    Track,
)
from eventyay_talk.models.imports import TalkImport, TalkImportRecord
from eventyay_talk.models.review import (
    Review,
    ReviewerTeam,
    ReviewPhase,
    ReviewScore,
    ScoreCategory,
)
from eventyay_talk.models.schedule import (
    Room,
    Schedule,
    ScheduleExport,
    StarFeedToken,
    StarredTalk,
    TalkSlot,
)
from eventyay_talk.models.submission import SpeakerProfile, Submission, SubmissionInvitation, SubmissionStates

__all__ = [
    "AccessCode",
    "Answer",
    "CfP",
    "MailTemplate",
    "Question",
    "QuestionOption",
    "Review",
    "ReviewPhase",
    "ReviewScore",
    "ReviewerTeam",
    "Room",
    "Schedule",
    "ScheduleExport",
    "ScoreCategory",
    "SpeakerProfile",
    "StarFeedToken",
    "StarredTalk",
    "Submission",
    "SubmissionInvitation",
    "SubmissionStates",
    "SubmissionType",
    "TalkImport",
    "TalkImportRecord",
    "TalkSlot",
    "Track",
]
