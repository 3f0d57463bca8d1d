"""Small typed records that hooks return.

``register_*`` hooks return lists of these frozen dataclasses; the manager rejects duplicate
names so two plugins cannot silently shadow each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

from django.utils.safestring import SafeString

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

    #: What users read: a plain string or a lazily translated one (``gettext_lazy``).
    Text: TypeAlias = str | StrPromise


@dataclass(frozen=True)
class Section:
    """A block on an event's public front page."""

    title: Text
    html: str | SafeString
    #: Optional stable identifier, used as the HTML id of the section.
    key: str = ""


@dataclass(frozen=True)
class NavItem:
    """An entry in the control panel navigation."""

    label: Text
    url: str
    #: URL names (``namespace:name``) for which this entry shows as active.
    active_prefix: str = ""
    icon: str = ""
    children: tuple[NavItem, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class TeamPermission:
    """A permission flag teams can be given.

    ``name`` is namespaced: ``organizer.<area>:<action>`` or ``event.<area>:<action>``.
    """

    name: str
    label: Text
    description: Text = ""

    @property
    def level(self) -> str:
        return self.name.split(".", 1)[0]


@dataclass(frozen=True)
class WebhookActionType:
    """A kind of change a webhook can be subscribed to, such as ``order.paid``."""

    name: str
    label: Text


@dataclass(frozen=True)
class OAuthScope:
    """An OAuth2 scope applications can ask for, such as ``orders:read``."""

    name: str
    description: Text
