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
    #: The sidebar group the entry is listed under, such as ``"tickets"``, ``"talk"``,
    #: ``"video"`` or ``"settings"`` (the core's areas) or a label of the plugin's own; entries
    #: without a group go to the group "Plugins".
    group: Text = ""


@dataclass(frozen=True)
class DashboardWidget:
    """A box on an event's control panel dashboard."""

    title: Text
    #: Safe markup (render a template with ``render_to_string``).
    html: str | SafeString
    #: Optional stable identifier, used as the HTML id of the widget.
    key: str = ""
    #: Widgets are ordered by ``priority`` (higher first), then by plugin order.
    priority: int = 0


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
class LogActionType:
    """What an audit log action means in words, such as ``Order placed`` for
    ``eventyay_tickets.order.placed``. The log and history pages show ``label``, never ``name``.
    """

    name: str
    label: Text


@dataclass(frozen=True)
class OAuthScope:
    """An OAuth2 scope applications can ask for, such as ``orders:read``."""

    name: str
    description: Text


@dataclass(frozen=True)
class PublicNavItem:
    """An entry in the navigation bar of an event's public pages."""

    label: Text
    url: str
    #: Whether the page being shown belongs to this entry (it is then marked as current).
    active: bool = False
    #: Entries are ordered by ``priority`` (lower first), then by plugin order.
    priority: int = 100
