"""The hook contract between eventyay and its plugins.

Every hook is declared here with its arguments and documentation; the plugin developer guide
renders this module. Plugins implement hooks in their ``hooks`` module with
:data:`eventyay.base.plugins.hookimpl` and only name the arguments they need.

Scope ``event`` means the hook is called through :func:`eventyay.base.plugins.hooks_for` and only
reaches plugins enabled for that event; scope ``global`` reaches every installed plugin. A plugin
may declare hooks of its own for other plugins in a ``hookspecs`` module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventyay.base.plugins.markers import hookspec

if TYPE_CHECKING:
    from django.http import HttpRequest

    from eventyay.base.exporters import BaseExporter
    from eventyay.base.models import Event, Organizer
    from eventyay.base.plugins.records import (
        DashboardWidget,
        LogActionType,
        NavItem,
        OAuthScope,
        PublicNavItem,
        Section,
        TeamPermission,
        WebhookActionType,
    )
    from eventyay.base.services.jobs import JobRunner


# ---------------------------------------------------------------------------------------------
# Registries
# ---------------------------------------------------------------------------------------------


@hookspec
def register_team_permissions() -> list[TeamPermission]:
    """Declare permission flags that teams can be given.

    Scope: ``global``. Results of all plugins are combined; a name declared twice is an error.

    :return: a list of :class:`~eventyay.base.plugins.TeamPermission`, named
        ``event.<area>:<action>`` or ``organizer.<area>:<action>``.

    Example::

        @hookimpl
        def register_team_permissions():
            return [TeamPermission("event.orders:read", "View orders")]

    .. versionadded:: 1.0
    """


@hookspec
def register_webhook_action_types() -> list[WebhookActionType]:
    """Declare the webhook action types a plugin emits.

    Scope: ``global``. Organizers subscribe webhooks to these names.

    :return: a list of :class:`~eventyay.base.plugins.WebhookActionType`.

    Example::

        @hookimpl
        def register_webhook_action_types():
            return [WebhookActionType("order.paid", "Order marked as paid")]

    .. versionadded:: 1.0
    """


@hookspec
def register_log_action_types() -> list[LogActionType]:
    """Say in words what the audit log actions a plugin writes mean.

    Scope: ``global``. Log and history pages show the label (``Order placed``) instead of the
    action's name (``eventyay_tickets.order.placed``), followed by who did it; an action
    nobody registered is shown as words made from its name. A name registered twice keeps
    the first label.

    :return: a list of :class:`~eventyay.base.plugins.LogActionType`.

    Example::

        @hookimpl
        def register_log_action_types():
            return [LogActionType("myplugin.badge.printed", _("Badge printed"))]

    .. versionadded:: 1.2
    """


@hookspec
def register_oauth_scopes() -> list[OAuthScope]:
    """Declare finer OAuth2 scopes (beyond ``read``, ``write`` and ``profile``).

    Scope: ``global``.

    :return: a list of :class:`~eventyay.base.plugins.OAuthScope`, such as ``orders:read``.

    Example::

        @hookimpl
        def register_oauth_scopes():
            return [OAuthScope("orders:read", "Read orders")]

    .. versionadded:: 1.0
    """


# ---------------------------------------------------------------------------------------------
# Plugin lifecycle (called on one plugin only)
# ---------------------------------------------------------------------------------------------


@hookspec
def plugin_enabled(event: Event) -> None:
    """The plugin was switched on for ``event``.

    Scope: ``event``, and only the plugin being enabled is called. Runs after the change is
    committed.

    :param event: the event the plugin was enabled for.

    Example::

        @hookimpl
        def plugin_enabled(event):
            services.create_default_quota(event=event)

    .. versionadded:: 1.0
    """


@hookspec
def plugin_disabled(event: Event) -> None:
    """The plugin was switched off for ``event``.

    Scope: ``event``, and only the plugin being disabled is called. Runs after the change is
    committed. Data is kept: switching the plugin back on finds it again.

    :param event: the event the plugin was disabled for.

    Example::

        @hookimpl
        def plugin_disabled(event):
            cache.delete(f"myplugin:{event.pk}")

    .. versionadded:: 1.0
    """


@hookspec
def demo_data(event: Event) -> None:
    """Add the plugin's demo data to ``event`` for ``python -m eventyay demo``.

    Scope: ``event``. Runs inside the event's tenant scope and a transaction; must be
    idempotent, because the demo command refreshes existing demo data.

    :param event: the demo event, with the plugin enabled.

    Example::

        @hookimpl
        def demo_data(event):
            Room.objects.get_or_create(event=event, name="Main hall")

    .. versionadded:: 1.0
    """


# ---------------------------------------------------------------------------------------------
# Notifications
# ---------------------------------------------------------------------------------------------


@hookspec
def event_created(event: Event) -> None:
    """A new event was created (directly, or as a clone).

    Scope: ``event`` (the plugins chosen when creating it). Runs after commit; an exception is
    logged and does not affect other plugins.

    :param event: the new event.

    Example::

        @hookimpl
        def event_created(event):
            Room.objects.create(event=event, name="Main hall")

    .. versionadded:: 1.0
    """


@hookspec
def event_cloned(event: Event, source: Event) -> None:
    """``event`` was created as a copy of ``source``; copy the plugin's configuration.

    Scope: ``event``. Runs inside the cloning transaction, so an exception aborts the clone.

    :param event: the new event.
    :param source: the event it was copied from.

    Example::

        @hookimpl
        def event_cloned(event, source):
            for room in Room.objects.filter(event=source):
                Room.objects.create(event=event, name=room.name)

    .. versionadded:: 1.0
    """


# ---------------------------------------------------------------------------------------------
# UI slots
# ---------------------------------------------------------------------------------------------


@hookspec
def event_public_sections(event: Event, request: HttpRequest) -> list[Section]:
    """Contribute sections to the event's public front page ``/<organizer>/<event>/``.

    Scope: ``event``. Sections render in plugin order, below the event's own description.

    :param event: the event whose page is rendered.
    :param request: the current request.
    :return: a list of :class:`~eventyay.base.plugins.Section`; ``html`` must be safe markup
        (render a template with ``render_to_string``).

    Example::

        @hookimpl
        def event_public_sections(event, request):
            html = render_to_string("eventyay_myplugin/section.html", {"event": event}, request)
            return [Section(title="Hello", html=html)]

    .. versionadded:: 1.0
    """


@hookspec
def control_nav_event(event: Event, request: HttpRequest) -> list[NavItem]:
    """Add navigation entries to an event's control panel.

    Scope: ``event``. Check permissions yourself: only return entries the user may open.

    :param event: the event shown in the control panel.
    :param request: the current request (``request.user`` is the organizer's team member).
    :return: a list of :class:`~eventyay.base.plugins.NavItem`. The sidebar groups entries by
        ``NavItem.group``: ``"settings"``, ``"tickets"``, ``"talk"`` and ``"video"`` are the
        core's areas, any other text is shown as a group of its own, and entries without a
        group are listed under "Plugins".

    Example::

        @hookimpl
        def control_nav_event(event, request):
            url = reverse("plugins:myplugin:settings", kwargs={
                "organizer": event.organizer.slug, "event": event.slug})
            return [NavItem(label="My plugin", url=url, group="tickets")]

    .. versionadded:: 1.0
    .. versionchanged:: 1.2
       ``NavItem.group`` places the entry in a sidebar group.
    """


@hookspec
def control_nav_organizer(organizer: Organizer, request: HttpRequest) -> list[NavItem]:
    """Add navigation entries to an organizer's control panel.

    Scope: ``global``.

    :param organizer: the organizer shown in the control panel.
    :param request: the current request.
    :return: a list of :class:`~eventyay.base.plugins.NavItem`; ``NavItem.group`` names the
        sidebar group (entries without one are listed under "Plugins").

    Example::

        @hookimpl
        def control_nav_organizer(organizer, request):
            return [NavItem(label="Reports", url=f"/control/organizer/{organizer.slug}/reports/")]

    .. versionadded:: 1.0
    """


@hookspec
def control_dashboard_widgets(event: Event, request: HttpRequest) -> list[DashboardWidget]:
    """Show key figures on an event's control panel dashboard.

    Scope: ``event``. Check permissions yourself: only return widgets the user may see. Keep
    the number of queries constant (aggregate in the database, no query per row): the
    dashboard is the first page organizers open.

    :param event: the event whose dashboard is rendered.
    :param request: the current request (``request.user`` is the organizer's team member).
    :return: a list of :class:`~eventyay.base.plugins.DashboardWidget`; ``html`` must be safe
        markup (render a template with ``render_to_string``).

    Example::

        @hookimpl
        def control_dashboard_widgets(event, request):
            html = render_to_string("eventyay_myplugin/widget.html", {"count": 3}, request)
            return [DashboardWidget(title="Sign-ups", html=html, key="signups")]

    .. versionadded:: 1.2
    """


@hookspec
def mail_placeholders(event: Event) -> dict[str, Any]:
    """Offer extra placeholders for the event's mail templates.

    Scope: ``event``. The combined dictionaries are available to every mail template of the
    event, next to the core placeholders ``event``, ``event_url`` and ``organizer``.

    :param event: the event the mail is sent for.
    :return: a dictionary of placeholder name to value.

    Example::

        @hookimpl
        def mail_placeholders(event):
            return {"venue": event.settings.get("venue", "")}

    .. versionadded:: 1.0
    """


# ---------------------------------------------------------------------------------------------
# Exports
# ---------------------------------------------------------------------------------------------


@hookspec
def register_data_exporters(event: Event) -> list[type[BaseExporter]]:
    """Offer exports of one event's data: orders, attendees, proposals, ...

    Scope: ``event``. The exporters appear on the event's Export page and under
    ``/api/v1/organizers/<organizer>/events/<event>/exporters/`` for actors holding each
    exporter's ``required_permission`` on the event. Identifiers must be unique among the
    event's exporters; a second one of the same name is ignored and logged.

    :param event: the event whose exporters are listed or run.
    :return: a list of exporter classes, subclasses of
        :class:`~eventyay.base.exporters.BaseExporter` (usually
        :class:`~eventyay.base.exporters.ListExporter` or
        :class:`~eventyay.base.exporters.PDFExporter`).

    Example::

        @hookimpl
        def register_data_exporters(event):
            from eventyay_myplugin.exporters import AttendeeListExporter

            return [AttendeeListExporter]

    .. versionadded:: 1.1
    """


@hookspec
def register_organizer_exporters(organizer: Organizer) -> list[type[BaseExporter]]:
    """Offer exports across the events of an organizer.

    Scope: ``global``. The exporter's ``events`` are the organizer's events that have the
    registering plugin switched on and on which the requester holds ``required_permission``;
    exporters appear on the organizer's Export page and under
    ``/api/v1/organizers/<organizer>/exporters/``.

    :param organizer: the organizer whose exporters are listed or run.
    :return: a list of exporter classes, subclasses of
        :class:`~eventyay.base.exporters.BaseExporter`.

    Example::

        @hookimpl
        def register_organizer_exporters(organizer):
            from eventyay_myplugin.exporters import AllAttendeesExporter

            return [AllAttendeesExporter]

    .. versionadded:: 1.1
    """


@hookspec
def register_job_runners() -> dict[str, JobRunner]:
    """Run background jobs of your own kinds (imports, bulk changes) with progress.

    Scope: ``global``. Return a dict of job kind to runner. A kind is a plugin-prefixed name
    of at most 32 characters (``"myplugin.import"``); ``export`` is the core's and a kind
    another plugin took first is ignored and the conflict logged. To start a job, create a
    :class:`~eventyay.base.models.Job` of that kind (``organizer``, the requesting ``user`` or
    ``token``, an ``identifier`` and JSON ``options``) and pass it to
    :func:`eventyay.base.services.jobs.job_queue` in the same transaction; a worker then
    calls ``runner(job, progress)`` with scopes disabled, once even if the task is delivered
    twice, and re-queues it if the worker dies (so a runner must be safe to run again).
    ``progress(percentage)`` stores the progress the job page shows; wrap the job's writes
    in :func:`eventyay.base.services.jobs.job_atomic` so they are one transaction while the
    progress stays visible. The runner returns ``(name, filename, content_type)``: the
    result's name in the private storage (e.g. a report), what its download is called, and
    its type; raise :class:`~eventyay.base.services.jobs.JobFailed` with a message the
    requester may read to fail the job.

    :return: a dict of job kind to runner, ``runner(job, progress) -> (name, filename,
        content_type)``.

    Example::

        @hookimpl
        def register_job_runners():
            from eventyay_myplugin.importing import import_job_run

            return {"myplugin.import": import_job_run}

    .. versionadded:: 1.1
    """


@hookspec
def public_navigation(event: Event, request: HttpRequest) -> list[PublicNavItem]:
    """Add entries to the navigation bar of an event's public pages.

    Scope: ``event``. Every public page of the event (the core's front page and the plugins'
    pages, which extend ``eventyay/base.html``) shows the bar in its header, after the entry
    for the event's front page. Return only entries the visitor can use (a closed call for
    papers or an unreleased schedule has no entry), and mark as ``active`` the entry whose
    pages ``request`` shows. Keep it cheap: the hook runs on every public page.

    :param event: the event whose page is rendered.
    :param request: the current request.
    :return: a list of :class:`~eventyay.base.plugins.PublicNavItem`, ordered by ``priority``.

    Example::

        @hookimpl
        def public_navigation(event, request):
            url = reverse("plugins:myplugin:index", kwargs={
                "organizer": event.organizer.slug, "event": event.slug})
            return [PublicNavItem(label=_("Workshops"), url=url,
                                  active=request.path.startswith(url))]

    .. versionadded:: 1.2
    """
