"""Rendering a campaign for one contact: Markdown to sanitised HTML and text, with placeholders.

The organizer writes the body in Markdown with ``{placeholder}`` fields. The Markdown is
rendered once, with each placeholder replaced by an inert token first, so a contact's values
can never turn into markup: they are put in afterwards, HTML-escaped in the HTML part and as
they are in the text part. The HTML is cleaned with an allow-list of tags and attributes, so
raw HTML in the body cannot bring scripts, styles or event handlers into a mail.
"""

from __future__ import annotations

import hashlib
import html
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import markdown
import nh3
from django.utils.translation import gettext as _

from eventyay_campaigns.channels import MessageChannel, RenderedMessage
from eventyay_campaigns.models import CustomFieldDefinition
from eventyay_campaigns.services import tracking

if TYPE_CHECKING:
    from eventyay_campaigns.models import Campaign, Contact, Message

#: Placeholders every campaign may use, besides the keys of the organizer's custom fields.
BUILTIN_PLACEHOLDERS = ("first_name", "last_name", "email", "company", "job_title", "city", "organizer")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

ALLOWED_TAGS = {
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def contact_values(*, contact: Contact | None, organizer_name: str) -> dict[str, str]:
    """The placeholder values for ``contact``: built-in fields, then its custom fields."""
    values: dict[str, str] = {"organizer": organizer_name}
    if contact is None:
        return values
    for key, value in (contact.custom_fields or {}).items():
        values[str(key)] = "" if value is None else str(value)
    for name in BUILTIN_PLACEHOLDERS:
        if name != "organizer":
            values[name] = str(getattr(contact, name, "") or "")
    return values


def fill(text: str, values: dict[str, str], *, escape: bool = False) -> str:
    """``text`` with known placeholders replaced; unknown ones stay as they were written."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        return html.escape(values[name]) if escape else values[name]

    return _PLACEHOLDER.sub(replace, text)


def markdown_html(body: str, values: dict[str, str]) -> str:
    """``body`` rendered to sanitised HTML, placeholders filled with escaped values."""
    cleaned, tokens = _markdown_template(body)
    for token, placeholder in tokens:
        cleaned = cleaned.replace(token, fill(placeholder, values, escape=True))
    return cleaned


@lru_cache(maxsize=64)
def _markdown_template(body: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The body's sanitised HTML with a token for each placeholder, rendered once per body.

    A campaign renders the same Markdown for every recipient; only the values differ.
    """
    salt = hashlib.sha256(body.encode()).hexdigest()[:8]
    tokens: list[tuple[str, str]] = []

    def hold(match: re.Match[str]) -> str:
        # Letters and digits only: Markdown leaves such a word alone wherever it stands.
        token = f"eyph{salt}n{len(tokens)}z"
        tokens.append((token, match.group(0)))
        return token

    rendered = markdown.markdown(_PLACEHOLDER.sub(hold, body), extensions=["sane_lists", "tables"])
    cleaned = nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener",
    )
    return cleaned, tuple(tokens)


def placeholders_unknown(*, text: str, organizer: Any) -> list[str]:
    """Placeholders in ``text`` that are neither built in nor a custom field of ``organizer``."""
    known = set(BUILTIN_PLACEHOLDERS) | set(
        CustomFieldDefinition.objects.filter(organizer=organizer).values_list("key", flat=True)
    )
    return sorted({name for name in _PLACEHOLDER.findall(text) if name not in known})


def campaign_render(
    *,
    campaign: Campaign,
    contact: Contact | None,
    channel: MessageChannel,
    message: Message | None = None,
) -> RenderedMessage:
    """``campaign`` as ``contact`` gets it on ``channel``.

    With ``message`` (sending) links are rewritten to the click-tracking URLs, the open pixel
    is added when the campaign counts opens, and the unsubscribe link and headers point at
    the message's own opaque URL. Without it (a preview) the unsubscribe link is inert.
    """
    values = contact_values(contact=contact, organizer_name=campaign.organizer.name)
    subject = fill(campaign.subject, values).replace("\n", " ").strip()
    text = fill(campaign.body, values)
    if not channel.has_subject:
        return RenderedMessage(subject="", text=text)
    unsubscribe = tracking.unsubscribe_url(message) if message is not None else "#"
    body_html = markdown_html(campaign.body, values)
    headers: dict[str, str] = {}
    if message is not None:
        body_html = tracking.rewrite_links(body_html, message)
        headers = tracking.unsubscribe_headers(message)
    footer = _("You receive this because you agreed to hear from {organizer}.").format(
        organizer=campaign.organizer.name
    )
    body_html += (
        f'<hr><p style="font-size:small;color:#666">{html.escape(footer)} '
        f'<a href="{html.escape(unsubscribe)}">{html.escape(_("Unsubscribe"))}</a></p>'
    )
    if message is not None:
        pixel = tracking.open_pixel_url(message)
        if pixel:
            body_html += f'<img src="{html.escape(pixel)}" width="1" height="1" alt="">'
    text += f"\n\n-- \n{footer}\n{_('Unsubscribe')}: {unsubscribe}\n"
    document = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
        f'<body style="font-family:sans-serif;line-height:1.5">{body_html}</body></html>'
    )
    return RenderedMessage(subject=subject, text=text, html=document, headers=headers)
