"""Hooks the campaigns plugin offers other plugins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventyay.base.plugins import hookspec

if TYPE_CHECKING:
    from eventyay.base.models import Event, Organizer
    from eventyay_campaigns.channels import MessageChannel


@hookspec
def contact_erased(organizer: Organizer, email: str, events: list[Event]) -> None:
    """An organizer erased a contact's personal data (a GDPR erasure request).

    Scope: ``global`` (the contact belongs to the organizer, not to one event). Runs after
    commit; an exception is logged and isolated. Plugins that keep personal data of the same
    person anonymise it where the law allows: the tickets plugin would blank the name,
    email address and answers of the orders and positions of ``events`` that carry
    ``email`` (case-insensitively), keeping the order itself, which accounting law keeps.

    :param organizer: the organizer whose contact was erased.
    :param email: the address the contact had, the only link to other records.
    :param events: the organizer's events in the contact's history.

    Example::

        @hookimpl(optionalhook=True)
        def contact_erased(organizer, email, events):
            services.orders_anonymise(events=events, email=email)

    .. versionadded:: 1.0
    """


@hookspec
def register_message_channels() -> list[MessageChannel]:
    """Declare channels campaigns and automation rules can send messages through.

    Scope: ``global``. Results of all plugins are combined; the first channel registered
    under an ``identifier`` wins. The campaigns plugin registers ``email`` itself (and
    ``sms``); a channel for another messenger subclasses
    :class:`eventyay_campaigns.channels.MessageChannel`, names the contact attribute holding
    consent for it (``consent_field``) and the one holding the address, and implements
    ``send(message, content)``: hand the rendered
    :class:`~eventyay_campaigns.channels.RenderedMessage` to the provider and return the
    provider's message id, or raise :class:`~eventyay_campaigns.channels.ChannelError`
    (``transient=True`` to be retried with backoff, ``False`` to fail the message for good).
    ``send`` is called from a Celery worker, at most once per claim of the message; keep it
    short and set network timeouts below a minute.

    :return: a list of :class:`~eventyay_campaigns.channels.MessageChannel` instances.

    Example::

        class PigeonChannel(MessageChannel):
            identifier = "pigeon"
            label = "Carrier pigeon"
            consent_field = "marketing_consent"
            address_field = "city"
            has_subject = False

            def send(self, message, content):
                return loft.dispatch(message.recipient, content.text)

        @hookimpl(optionalhook=True)
        def register_message_channels():
            return [PigeonChannel()]

    .. versionadded:: 1.0
    """
