"""Control panel routes, included by the plugin's ``urls.control_patterns``."""

from django.urls import path

from eventyay_talk.control import assignments, cfp, mails, review, schedule, submissions
from eventyay_talk.importers import pretalx_views, schedule_xml_views

patterns = [
    path("talk/cfp/", cfp.cfp_settings, name="control.cfp"),
    path("talk/cfp/access-codes/", cfp.access_codes, name="control.access_codes"),
    path("talk/cfp/access-codes/add/", cfp.access_code_edit, name="control.access_code.add"),
    path("talk/cfp/access-codes/<int:pk>/", cfp.access_code_edit, name="control.access_code"),
    path("talk/cfp/<slug:kind>/", cfp.config_list, name="control.config"),
    path("talk/cfp/<slug:kind>/add/", cfp.config_edit, name="control.config.add"),
    path("talk/cfp/<slug:kind>/<int:pk>/", cfp.config_edit, name="control.config.edit"),
    path("talk/mails/", mails.mail_templates, name="control.mails"),
    path("talk/mails/<str:role>/", mails.mail_template_edit, name="control.mail"),
    path("talk/submissions/", submissions.submission_list, name="control.submissions"),
    path("talk/submissions/decisions/", submissions.decisions_apply, name="control.decisions.apply"),
    path("talk/submissions/<str:code>/", submissions.submission_detail, name="control.submission"),
    path("talk/submissions/<str:code>/state/", submissions.submission_state, name="control.submission.state"),
    path("talk/submissions/<str:code>/queue/", submissions.submission_queue, name="control.submission.queue"),
    path("talk/files/<int:pk>/", submissions.answer_file, name="control.answer_file"),
    path("talk/review/", review.dashboard, name="control.review.dashboard"),
    path("talk/review/settings/", review.phases, name="control.review.settings"),
    path("talk/review/assignments/", assignments.assignments, name="control.review.assignments"),
    path("talk/review/phases/add/", review.phase_edit, name="control.phase.add"),
    path("talk/review/phases/<int:pk>/", review.phase_edit, name="control.phase"),
    path("talk/review/phases/<int:pk>/activate/", review.phase_activate, name="control.phase.activate"),
    path("talk/review/categories/add/", review.category_edit, name="control.category.add"),
    path("talk/review/categories/<int:pk>/", review.category_edit, name="control.category"),
    path("talk/review/<str:code>/", review.review_form, name="control.review"),
    path("talk/rooms/", schedule.rooms, name="control.rooms"),
    path("talk/rooms/add/", schedule.room_edit, name="control.room.add"),
    path("talk/rooms/<int:pk>/", schedule.room_edit, name="control.room"),
    path("talk/rooms/<int:pk>/availability/", schedule.room_availability, name="control.room.availability"),
    path("talk/schedule/", schedule.editor, name="control.schedule"),
    path("talk/schedule/slots/<int:pk>/move/", schedule.slot_move, name="control.slot.move"),
    path("talk/schedule/breaks/add/", schedule.break_add, name="control.break.add"),
    path("talk/schedule/release/", schedule.release, name="control.schedule.versions"),
    path("talk/import/pretalx/", pretalx_views.pretalx_import_start, name="control.pretalx_import"),
    path(
        "talk/import/pretalx/<uuid:job>/", pretalx_views.pretalx_import_job, name="control.pretalx_import.job"
    ),
    path(
        "talk/import/schedule-xml/",
        schedule_xml_views.schedule_xml_import_start,
        name="control.schedule_xml_import",
    ),
    path(
        "talk/import/schedule-xml/<uuid:job>/",
        schedule_xml_views.schedule_xml_import_job,
        name="control.schedule_xml_import.job",
    ),
]
