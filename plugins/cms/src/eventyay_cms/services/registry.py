"""The connector types of all installed plugins (``register_cms_connectors``)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from eventyay.base.plugins.manager import plugin_manager
from eventyay_cms.connectors.base import Adapter, ConnectorError, ConnectorType

if TYPE_CHECKING:
    from eventyay_cms.models import Connection

logger = logging.getLogger(__name__)


def connector_types() -> dict[str, ConnectorType]:
    types: dict[str, ConnectorType] = {}
    for result in plugin_manager.hook.register_cms_connectors():
        for connector in result or ():
            if connector.identifier in types:
                logger.warning(
                    "CMS connector %s registered twice; the first one is kept", connector.identifier
                )
                continue
            types[connector.identifier] = connector
    return types


def connector_type(identifier: str) -> ConnectorType:
    try:
        return connector_types()[identifier]
    except KeyError:
        raise ConnectorError(f"No connector of type {identifier!r} is installed.") from None


def adapter_for(connection: Connection) -> Adapter:
    return connector_type(connection.type).adapter(connection)
