"""Message channels: the ways a campaign or an automation step reaches a contact.

A channel knows which contact attribute holds the contact's consent for it, where the contact
is reached (an email address, a phone number), and how to hand one rendered message to its
provider. Email is built in; other plugins add channels through the
``register_message_channels`` hook (this plugin's SMS channel uses the same hook).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import formataddr, make_msgid
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.utils import DNS_NAME
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from eventyay.base.plugins.manager import plugin_manager

if TYPE_CHECKING:
    from eventyay_campaigns.models import Contact, Message


@dataclass
class RenderedMessage:
    """One message rendered for one recipient: what a channel hands to its provider."""

    subject: str
    text: str
    html: str = ""
    headers: dict[str, str] = field(default_factory=dict)


class ChannelError(Exception):
    """A channel could not send a message.

    ``transient`` says whether trying again later may succeed (a timeout, a provider's rate
    limit) or not (an address the provider rejects), so the sender retries or gives up.
    """

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


class MessageChannel:
    """Base class of a channel; subclasses set the attributes and implement :meth:`send`."""

    #: Stored on campaigns and messages; unique among channels (``email``, ``sms``).
    identifier: ClassVar[str] = ""
    #: Shown to organizers when they choose a channel.
    label: ClassVar[str | Promise] = ""
    #: The :class:`~eventyay_campaigns.models.Contact` attribute that holds the contact's
    #: consent to marketing messages on this channel.
    consent_field: ClassVar[str] = "marketing_consent"
    #: The contact attribute holding the address; :meth:`address` reads it.
    address_field: ClassVar[str] = "email"
    #: Whether rendered messages carry a subject and an HTML part.
    has_subject: ClassVar[bool] = True

    def address(self, contact: Contact) -> str:
        """Where ``contact`` is reached on this channel; ``""`` if it has no address there."""
        return (getattr(contact, self.address_field, "") or "").strip()

    def send(self, message: Message, content: RenderedMessage) -> str:
        """Hand ``content`` for ``message.recipient`` to the provider; return its message id.

        Raise :class:`ChannelError` when the provider refuses or cannot be reached.
        """
        raise NotImplementedError


class EmailChannel(MessageChannel):
    """Email through Django's configured mail backend, as every other mail of the platform.

    In the embedded mode the backend is the file backend, so campaign mails land in the data
    directory's ``mail`` folder next to the transactional ones; with an ESP backend
    (django-anymail) the provider's message id comes back for delivery reports.
    """

    identifier = "email"
    label = _("Email")
    consent_field = "marketing_consent"
    address_field = "email"
    has_subject = True

    def sender(self, message: Message) -> str:
        campaign = message.campaign
        if campaign is not None and campaign.sender:
            return campaign.sender
        return formataddr((message.organizer.name, settings.MAIL_FROM))

    def send(self, message: Message, content: RenderedMessage) -> str:
        # Our own Message-ID, so the id is known without an ESP (and kept for its reports).
        message_id = make_msgid(domain=str(DNS_NAME))
        mail = EmailMultiAlternatives(
            subject=content.subject.replace("\n", " ")[:998],
            body=content.text,
            from_email=self.sender(message),
            to=[message.recipient],
            headers={**content.headers, "Message-ID": message_id, "X-Eventyay-Message": str(message.pk)},
            connection=get_connection(fail_silently=False),
        )
        if content.html:
            mail.attach_alternative(content.html, "text/html")
        try:
            mail.send()
        except (ValueError, UnicodeError) as exc:
            # A malformed address or header: the same message fails the same way next time.
            raise ChannelError(str(exc), transient=False) from exc
        except Exception as exc:
            raise ChannelError(str(exc), transient=True) from exc
        anymail_status = getattr(mail, "anymail_status", None)
        provider_id = getattr(anymail_status, "message_id", None) if anymail_status else None
        return str(provider_id or message_id)


def channels_all() -> dict[str, MessageChannel]:
    """Every installed channel by identifier, the first registration of an identifier winning."""
    channels: dict[str, MessageChannel] = {}
    for result in plugin_manager.hook.register_message_channels():
        for channel in result or []:
            channels.setdefault(channel.identifier, channel)
    return channels


def channel_get(identifier: str) -> MessageChannel | None:
    """The channel named ``identifier``, or ``None`` if no installed plugin provides it."""
    return channels_all().get(identifier)
