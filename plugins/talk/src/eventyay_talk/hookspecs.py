"""Hooks the talk plugin offers to other plugins.

Implement them in your plugin's ``hooks`` module with :data:`eventyay.base.plugins.hookimpl`.
All are scope ``event``: only plugins enabled for the submission's or schedule's event are called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventyay.base.plugins import hookspec

if TYPE_CHECKING:
    from eventyay.base.models import Event
    from eventyay_talk.exporters import ScheduleExporter
    from eventyay_talk.models import Schedule, Submission


@hookspec
def before_submission_state_change(submission: Submission, old_state: str, new_state: str) -> str | None:
    """Veto a submission's state change before it happens.

    Scope: ``event``. Called inside the state-change transaction, before anything is written.
    Every implementation is asked; the first non-empty message refuses the change and is shown
    to the person (or API client) who asked for it as a validation error.

    :param submission: the submission, still in ``old_state``.
    :param old_state: the current state, such as ``submitted``.
    :param new_state: the requested state, such as ``accepted``.
    :return: ``None`` to allow, or a message explaining why the change is refused.

    Example::

        @hookimpl
        def before_submission_state_change(submission, old_state, new_state):
            if new_state == "accepted" and not submission.title.strip():
                return "Untitled proposals cannot be accepted."

    .. versionadded:: 1.0
    """


@hookspec
def submission_state_changed(submission: Submission, old_state: str, new_state: str) -> None:
    """A submission's state changed.

    Scope: ``event``. Runs after the change is committed; an exception is logged and does not
    affect other plugins.

    :param submission: the submission, in ``new_state``.
    :param old_state: the state it was in.
    :param new_state: the state it is in now.

    Example::

        @hookimpl
        def submission_state_changed(submission, old_state, new_state):
            if new_state == "confirmed":
                create_speaker_ticket(submission)

    .. versionadded:: 1.0
    """


@hookspec
def schedule_released(schedule: Schedule) -> None:
    """A new schedule version was released.

    Scope: ``event``. Runs after the release is committed; an exception is logged and does not
    affect other plugins. ``schedule.changelog`` lists new, moved and canceled talks.

    :param schedule: the released (now frozen) schedule version.

    Example::

        @hookimpl
        def schedule_released(schedule):
            push_to_signage(schedule.event, schedule.version)

    .. versionadded:: 1.0
    """


@hookspec
def register_schedule_exporters(event: Event) -> list[ScheduleExporter]:
    """Add schedule export formats.

    Scope: ``event``. The talk plugin's own formats (``xml``, ``json``, ``ics``) come through
    this hook too. An exporter's ``identifier`` is the file extension it is served under:
    ``/<organizer>/<event>/schedule.<identifier>`` for the latest release and
    ``/<organizer>/<event>/schedule/v/<version>.<identifier>`` for a given one. Released
    versions are rendered once and stored, so ``render`` must only read what it is given.

    :param event: the event whose schedule is exported.
    :return: a list of :class:`eventyay_talk.exporters.ScheduleExporter`.

    Example::

        @hookimpl
        def register_schedule_exporters(event):
            return [ScheduleExporter(
                identifier="csv", label="CSV", content_type="text/csv",
                render=lambda data: render_csv(data),
            )]

    .. versionadded:: 1.0
    """
