"""Fixtures for plugin tests: actors with exactly some permissions, captured webhooks and mails.

They are part of the pytest plugin (:mod:`eventyay.testing.plugin`) and documented in the
plugin guide's testing page. Nothing here touches the network: webhook deliveries run through
the real signing and bookkeeping code, and only the HTTP request at its end is captured.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

#: The address captured webhooks point to; no request ever leaves the test process.
RECEIVER_URL = "http://127.0.0.1:9/eventyay-test-receiver"


@contextlib.contextmanager
def scoped(obj: Any) -> Iterator[None]:
    """Open the tenant scope of ``obj`` (an organizer, an event or anything with ``.event``).

    Event-scoped models refuse queries outside a scope, in tests as in production; create and
    read a plugin's rows inside this block::

        with scoped(event):
            Badge.objects.create(event=event, name="Ada")
    """
    from django_scopes import scope

    from eventyay.base.models import Event, Organizer

    if isinstance(obj, Organizer):
        organizer = obj
    elif isinstance(obj, Event):
        organizer = obj.organizer
    else:
        organizer = obj.event.organizer
    with scope(organizer=organizer):
        yield


def _team_with(
    organizer: Any, permissions: Sequence[str], events: Sequence[Any], name: str
) -> tuple[Any, Any]:
    from django_scopes import scope

    from eventyay.base.models import User
    from eventyay.base.services.teams import team_member_add, team_save

    with scope(organizer=organizer):
        team = team_save(
            organizer=organizer,
            name=name,
            permissions=permissions,
            all_events=not events,
            limit_events=events,
        )
        member = User.objects.create_user(f"{name.lower().replace(' ', '-')}@example.org", "correct horse")
        team_member_add(team=team, user=member)
    return team, member


@pytest.fixture
def team_with_permissions(organizer: Any) -> Callable[..., Any]:
    """``team_with_permissions("event.badges:read", events=[event])``: a new team of the
    organizer holding exactly these permissions (for all events, or only for ``events``), with
    one member, ``team.member``, and nothing else. Use it to prove a 403."""
    counter = iter(range(1, 1000))

    def factory(*permissions: str, events: Sequence[Any] = (), organizer: Any = organizer) -> Any:
        team, member = _team_with(organizer, permissions, events, f"Limited {next(counter)}")
        team.member = member
        return team

    return factory


@pytest.fixture
def api_client_with_permissions(team_with_permissions: Callable[..., Any]) -> Callable[..., Any]:
    """``api_client_with_permissions("event.badges:read")``: a DRF ``APIClient`` sending the API
    token of a new team with exactly these permissions (keyword ``events=`` as for
    ``team_with_permissions``)."""
    from django_scopes import scope
    from rest_framework.test import APIClient

    from eventyay.base.services.teams import token_create

    def factory(*permissions: str, events: Sequence[Any] = (), **kwargs: Any) -> APIClient:
        team = team_with_permissions(*permissions, events=events, **kwargs)
        with scope(organizer=team.organizer):
            _token, secret = token_create(team=team, name="tests")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
        return client

    return factory


@dataclass(frozen=True)
class CapturedWebhook:
    """One webhook request eventyay sent, as the receiver saw it."""

    action: str
    payload: dict[str, Any]
    headers: dict[str, str]
    #: The body as sent: what ``X-Eventyay-Signature`` signs.
    body: bytes


class CapturedWebhooks:
    """The ``captured_webhooks`` fixture: subscribe, then read what would have been sent."""

    def __init__(self) -> None:
        self.received: list[CapturedWebhook] = []

    def subscribe(self, organizer: Any, action_types: Sequence[str], **options: Any) -> Any:
        """A webhook of ``organizer`` for ``action_types`` whose deliveries are captured."""
        from django_scopes import scope

        from eventyay.base.services.webhooks import webhook_save

        with scope(organizer=organizer):
            return webhook_save(
                organizer=organizer, target_url=RECEIVER_URL, action_types=action_types, **options
            )

    def deliver(self) -> list[CapturedWebhook]:
        """Send every pending delivery now, through the real signing code; return what arrived.

        Needed because deliveries start after the commit, which a test's transaction never
        reaches (or use ``django_capture_on_commit_callbacks(execute=True)``).
        """
        from django_scopes import scopes_disabled

        from eventyay.base.models import WebHookDelivery
        from eventyay.base.services.webhooks import webhook_deliver

        with scopes_disabled():
            pending = list(
                WebHookDelivery.objects.filter(
                    status=WebHookDelivery.Status.PENDING, webhook__target_url=RECEIVER_URL
                )
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        for pk in pending:
            webhook_deliver(delivery_pk=pk)
        return self.received

    @property
    def actions(self) -> list[str]:
        return [hook.action for hook in self.received]

    def _receive(self, method: str, url: str, *, data: Any = None, headers: Any = None, **kwargs: Any) -> Any:
        from eventyay.base.services.http import OutgoingResponse

        body = data if isinstance(data, bytes) else str(data).encode()
        payload = json.loads(body)
        self.received.append(CapturedWebhook(payload["action"], payload, dict(headers or {}), body))
        return OutgoingResponse(status=200, headers={}, body=b"ok", truncated=False, url=url)


@pytest.fixture
def captured_webhooks(settings: Any, monkeypatch: pytest.MonkeyPatch) -> CapturedWebhooks:
    """Webhook deliveries captured in the test process instead of sent.

    ``captured_webhooks.subscribe(organizer, ["badges.badge.created"])`` subscribes;
    ``captured_webhooks.deliver()`` sends what is pending and returns the
    :class:`CapturedWebhook` list (``.action``, ``.payload``, ``.headers``, ``.body``; also
    ``captured_webhooks.received`` and ``.actions``).
    The receiver's private address is allowed only while the fixture is active.
    """
    from eventyay.base.services import webhooks

    settings.OUTGOING_HTTP_ALLOW_PRIVATE = True
    capture = CapturedWebhooks()
    monkeypatch.setattr(webhooks, "outgoing_request", capture._receive)
    return capture


class CapturedMails:
    """The ``captured_mails`` fixture: mails queued through the outbox, sent to a list."""

    def __init__(self, outbox: list[Any]) -> None:
        self.outbox = outbox

    def deliver(self) -> list[Any]:
        """Send every queued mail now (the outbox sends after commit) and return all sent."""
        from django_scopes import scopes_disabled

        from eventyay.base.models import OutgoingMail
        from eventyay.base.services.mail import mail_send

        with scopes_disabled():
            queued = list(
                OutgoingMail.objects.filter(status=OutgoingMail.Status.QUEUED)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        for pk in queued:
            mail_send(mail_id=pk)
        return self.outbox

    @property
    def subjects(self) -> list[str]:
        return [message.subject for message in self.outbox]


@pytest.fixture
def captured_mails(mailoutbox: list[Any]) -> CapturedMails:
    """Mails queued with ``mail_queue``: ``captured_mails.deliver()`` sends the queued ones into
    Django's in-memory outbox and returns its ``EmailMessage`` list."""
    return CapturedMails(mailoutbox)


@pytest.fixture
def event_without_plugins(make_event: Callable[..., Any]) -> Any:
    """The event ``example/unplugged`` with no plugin switched on: the counterpart of
    ``event_with_plugins`` for proving that a plugin stays away where it is off."""
    return make_event(slug="unplugged")
