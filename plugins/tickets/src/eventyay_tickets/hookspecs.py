"""Hooks the tickets plugin offers other plugins.

Notifications (``order_*``) are called after the change is committed, through
:func:`eventyay.base.plugins.notify`, so a plugin raising never breaks checkout. UI slots and
registries are called through :func:`eventyay.base.plugins.hooks_for` and reach only plugins
enabled for the event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventyay.base.plugins import hookspec

if TYPE_CHECKING:
    from django.http import HttpRequest

    from eventyay.base.models import Event
    from eventyay.base.plugins import Section
    from eventyay_tickets.models import Checkin, Order
    from eventyay_tickets.payment import BasePaymentProvider


# ---------------------------------------------------------------------------------------------
# Registries
# ---------------------------------------------------------------------------------------------


@hookspec
def register_payment_providers(event: Event) -> list[type[BasePaymentProvider]]:
    """Offer payment providers for ``event``.

    Scope: ``event``. Results of all enabled plugins are combined; the provider's
    ``identifier`` must be unique (the first registration wins, later ones are logged and
    ignored). The tickets plugin registers its own free and bank transfer providers here.

    :param event: the event the shop or API is working for.
    :return: a list of classes derived from
        :class:`eventyay_tickets.payment.BasePaymentProvider`.

    Example::

        @hookimpl
        def register_payment_providers(event):
            return [StripeProvider]

    .. versionadded:: 1.0
    """


# ---------------------------------------------------------------------------------------------
# Notifications
# ---------------------------------------------------------------------------------------------


@hookspec
def order_placed(event: Event, order: Order) -> None:
    """A new order was placed (in the shop or through the API).

    Scope: ``event``. Runs after commit; an exception is logged and affects neither the
    order nor other plugins.

    :param event: the event of the order.
    :param order: the new order (``status`` is ``"pending"``, or ``"paid"`` when free).

    Example::

        @hookimpl
        def order_placed(event, order):
            crm.add_contact(order.email)

    .. versionadded:: 1.0
    """


@hookspec
def order_paid(event: Event, order: Order) -> None:
    """An order was marked as paid.

    Scope: ``event``. Runs after commit; exceptions are logged and isolated.

    :param event: the event of the order.
    :param order: the order, now ``"paid"``.

    Example::

        @hookimpl
        def order_paid(event, order):
            for position in order.positions.all():
                grant_access(position.attendee_email)

    .. versionadded:: 1.0
    """


@hookspec
def order_canceled(event: Event, order: Order) -> None:
    """An order was canceled (by the organizer, the attendee, or denied approval).

    Scope: ``event``. Runs after commit; exceptions are logged and isolated.

    :param event: the event of the order.
    :param order: the order, now ``"canceled"``.

    Example::

        @hookimpl
        def order_canceled(event, order):
            revoke_access(order.code)

    .. versionadded:: 1.0
    """


@hookspec
def checkin_created(event: Event, checkin: Checkin) -> None:
    """A ticket was scanned and admitted (an entry or an exit was recorded).

    Scope: ``event``. Runs after commit; an exception is logged and affects neither the scan
    nor other plugins. A scan replayed by an offline device (same nonce) does not call it again.

    :param event: the event of the check-in list.
    :param checkin: the new check-in; ``checkin.position`` is the ticket (with ``order``),
        ``checkin.type`` is ``"entry"`` or ``"exit"``.

    Example::

        @hookimpl
        def checkin_created(event, checkin):
            if checkin.type == "entry":
                badges.print_for(checkin.position)

    .. versionadded:: 1.0
    """


@hookspec
def order_expired(event: Event, order: Order) -> None:
    """A pending order passed its payment deadline and was marked expired.

    Scope: ``event``. Runs after commit; exceptions are logged and isolated.

    :param event: the event of the order.
    :param order: the order, now ``"expired"``; its quota is free again.

    Example::

        @hookimpl
        def order_expired(event, order):
            waiting_list.offer_next(event)

    .. versionadded:: 1.0
    """


@hookspec
def order_changed(event: Event, order: Order, changes: dict[str, Any]) -> None:
    """Something other than the status changed: extended, approved, reactivated, attendees edited.

    Scope: ``event``. Runs after commit; exceptions are logged and isolated.

    :param event: the event of the order.
    :param order: the changed order.
    :param changes: what changed, such as ``{"action": "extended", "expires": "2030-01-01T..."}``.

    Example::

        @hookimpl
        def order_changed(event, order, changes):
            if changes.get("action") == "attendees":
                badge_printer.refresh(order.code)

    .. versionadded:: 1.0
    """


# ---------------------------------------------------------------------------------------------
# UI slots
# ---------------------------------------------------------------------------------------------


@hookspec
def order_page_sections(event: Event, order: Order, request: HttpRequest) -> list[Section]:
    """Contribute sections to the attendee's order page (the secret link in order emails).

    Scope: ``event``. Sections render below the order's positions, in plugin order.

    :param event: the event of the order.
    :param order: the order shown; check ``order.status`` (e.g. only show links when ``"paid"``).
    :param request: the current request.
    :return: a list of :class:`~eventyay.base.plugins.Section`; ``html`` must be safe markup.

    Example::

        @hookimpl
        def order_page_sections(event, order, request):
            if order.status != "paid":
                return []
            html = render_to_string("eventyay_video/join.html", {"order": order}, request)
            return [Section(title="Join online", html=html, key="video-join")]

    .. versionadded:: 1.0
    """


@hookspec
def order_mail_placeholders(event: Event, order: Order) -> dict[str, Any]:
    """Offer extra placeholders for the order emails of ``event``.

    Scope: ``event``. Combined with the core placeholders and the order's own (``code``,
    ``total``, ``currency``, ``status``, ``url``, ``payment_info``, ``expires``).

    :param event: the event of the order.
    :param order: the order the email is about.
    :return: a dictionary of placeholder name to value.

    Example::

        @hookimpl
        def order_mail_placeholders(event, order):
            return {"stream_url": "https://stream.example.org/" + order.code}

    .. versionadded:: 1.0
    """
