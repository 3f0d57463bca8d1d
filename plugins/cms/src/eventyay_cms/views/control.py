from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eventyay.control.permissions import event_view
from eventyay_cms.connectors.base import ConnectorError
from eventyay_cms.forms import ConnectionForm
from eventyay_cms.hooks import READ_PERMISSION, WRITE_PERMISSION
from eventyay_cms.models import Connection, PulledPage
from eventyay_cms.services.connections import connection_save, webhook_secret_rotate
from eventyay_cms.services.registry import adapter_for
from eventyay_cms.services.sync import latest_sync_job, sync_start


def _connection(request: HttpRequest, pk: int) -> Connection:
    connection = Connection.objects.filter(event=request.event, pk=pk).first()  # type: ignore[attr-defined]
    if connection is None:
        raise Http404()
    return connection


def _kwargs(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    event = request.event  # type: ignore[attr-defined]
    return {"organizer": event.organizer.slug, "event": event.slug, **extra}


@event_view(READ_PERMISSION)
def connections(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    rows = list(Connection.objects.filter(event=request.event).order_by("pk"))  # type: ignore[attr-defined]
    return render(request, "eventyay_cms/control/connections.html", {"connections": rows})


@event_view(READ_PERMISSION, post=WRITE_PERMISSION)
def connection_edit(request: HttpRequest, organizer: str, event: str, pk: int | None = None) -> HttpResponse:
    connection = _connection(request, pk) if pk is not None else None
    initial = (
        {
            "type": connection.type,
            "name": connection.name,
            "base_url": connection.base_url,
            "username": connection.username,
            "pull": connection.pull,
            "push": connection.push,
            "conflict_policy": connection.conflict_policy,
        }
        if connection
        else {
            "type": "wordpress",
            "pull": ["pages"],
            "conflict_policy": Connection.ConflictPolicy.EVENTYAY_WINS,
        }
    )
    form = ConnectionForm(
        request.POST if request.method == "POST" else None, initial=initial, connection=connection
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if connection is not None:
            data.pop("type", None)
        try:
            saved = connection_save(event=request.event, data=data, connection=connection)  # type: ignore[attr-defined]
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("The connection was saved."))
            return redirect(reverse("plugins:cms:control.connection", kwargs=_kwargs(request, pk=saved.pk)))
    return render(
        request, "eventyay_cms/control/connection_form.html", {"form": form, "connection": connection}
    )


@event_view(READ_PERMISSION, post=WRITE_PERMISSION)
def connection_detail(request: HttpRequest, organizer: str, event: str, pk: int) -> HttpResponse:
    """The status page: last sync, counts, errors and conflicts, the latest sync job's progress."""
    connection = _connection(request, pk)
    if request.method == "POST":
        # Which pages show in the event's navigation.
        chosen = {int(value) for value in request.POST.getlist("nav") if value.isdigit()}
        with transaction.atomic():
            for page in connection.pages.all():
                if page.show_in_nav != (page.pk in chosen):
                    page.show_in_nav = page.pk in chosen
                    page.save(update_fields=["show_in_nav"])
        messages.success(request, _("The navigation was saved."))
        return redirect(reverse("plugins:cms:control.connection", kwargs=_kwargs(request, pk=pk)))
    job = latest_sync_job(connection)
    webhook_url = request.build_absolute_uri(
        reverse("plugins:cms:webhook", kwargs=_kwargs(request, connection=connection.uuid))
    )
    return render(
        request,
        "eventyay_cms/control/connection.html",
        {
            "connection": connection,
            "counts": connection.counts(),
            "log": list(connection.log.all()[:20]),
            "pages": list(PulledPage.objects.filter(connection=connection).order_by("title", "pk")[:200]),
            "job": job,
            "job_running": job is not None and job.state in ("waiting", "running"),
            "webhook_url": webhook_url,
            "signing_secret_masked": str(connection.signing_secret()),
        },
    )


@require_POST
@event_view(WRITE_PERMISSION)
def connection_sync(request: HttpRequest, organizer: str, event: str, pk: int) -> HttpResponse:
    connection = _connection(request, pk)
    sync_start(connection, user=request.user)
    messages.success(request, _("A sync was started."))
    return redirect(reverse("plugins:cms:control.connection", kwargs=_kwargs(request, pk=pk)))


@require_POST
@event_view(WRITE_PERMISSION)
def connection_test(request: HttpRequest, organizer: str, event: str, pk: int) -> HttpResponse:
    connection = _connection(request, pk)
    try:
        messages.success(request, adapter_for(connection).test())
    except ConnectorError as exc:
        messages.error(request, _("The connection failed: %(error)s") % {"error": exc})
    return redirect(reverse("plugins:cms:control.connection", kwargs=_kwargs(request, pk=pk)))


@require_POST
@event_view(WRITE_PERMISSION)
def connection_delete(request: HttpRequest, organizer: str, event: str, pk: int) -> HttpResponse:
    _connection(request, pk).delete()
    messages.success(request, _("The connection was deleted; its pulled pages are gone."))
    return redirect(reverse("plugins:cms:control.connections", kwargs=_kwargs(request)))


@require_POST
@event_view(WRITE_PERMISSION)
def connection_secret(request: HttpRequest, organizer: str, event: str, pk: int) -> HttpResponse:
    """A new webhook signing secret, shown this once (the old one stops working)."""
    connection = _connection(request, pk)
    secret = webhook_secret_rotate(connection)
    response = render(
        request, "eventyay_cms/control/secret.html", {"connection": connection, "secret": secret.reveal()}
    )
    response["Cache-Control"] = "no-store"
    return response
