"""Hooks the CMS connectors plugin offers other plugins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventyay.base.plugins import hookspec

if TYPE_CHECKING:
    from eventyay_cms.connectors.base import ConnectorType


@hookspec
def register_cms_connectors() -> list[ConnectorType]:
    """Declare kinds of CMS that connections can talk to (Contentful, Strapi, ...).

    Scope: ``global``. Results of all plugins are combined; the first type registered under an
    ``identifier`` wins, and the CMS plugin registers ``wordpress`` and ``wagtail`` itself. A
    :class:`~eventyay_cms.connectors.base.ConnectorType` names its ``identifier`` (stored on
    the connection, at most 32 characters), a ``label``, its ``capabilities`` (a subset of
    ``pull_pages``, ``pull_posts``, ``push_schedule``, ``push_speakers`` and
    ``inbound_webhook``), an optional ``settings_form`` and the ``adapter`` class, a subclass
    of :class:`~eventyay_cms.connectors.base.Adapter` implementing ``list_changed(cursor)``,
    ``get(id)``, ``list_ids()``, ``upsert(kind, payload, external_id)``, ``find(kind, slug)``,
    ``delete(id)`` and ``verify_webhook(request)`` as far as its capabilities need. Adapters
    are called from Celery workers and jobs; make every request with
    :func:`eventyay.base.services.http.outgoing_request` and raise
    :class:`~eventyay_cms.connectors.base.ConnectorError` on failure.

    :return: a list of :class:`~eventyay_cms.connectors.base.ConnectorType`.

    Example::

        @hookimpl
        def register_cms_connectors():
            return [ConnectorType(identifier="strapi", label="Strapi",
                                  capabilities=frozenset({"pull_pages"}),
                                  adapter=StrapiAdapter)]

    .. versionadded:: 1.1
    """
