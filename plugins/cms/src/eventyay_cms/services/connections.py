"""Creating and changing connections: validation, encrypted credentials."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from eventyay.base.models import Event
from eventyay.base.secrets import Secret, secret_encrypt
from eventyay.base.services.http import outgoing_url_problem
from eventyay_cms.models import Connection
from eventyay_cms.services.registry import connector_types

#: Fields a caller may set; ``password`` is write-only and stored encrypted.
FIELDS = ("type", "name", "base_url", "username", "password", "pull", "push", "conflict_policy")


def _check(data: dict[str, Any], connection: Connection | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    types = connector_types()
    kind = data.get("type", connection.type if connection else None)
    connector = types.get(str(kind))
    if connector is None:
        errors["type"] = _("Choose one of: %(types)s.") % {"types": ", ".join(sorted(types))}
    if "base_url" in data or connection is None:
        url = str(data.get("base_url") or "").strip()
        problem = outgoing_url_problem(url) if url else _("This field is required.")
        if problem:
            errors["base_url"] = problem
        data["base_url"] = url.rstrip("/")
    for name, offered in (
        ("pull", connector.can_pull() if connector else []),
        ("push", connector.can_push() if connector else []),
    ):
        if name not in data:
            continue
        value = data[name]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            errors[name] = _("A list of names.")
            continue
        unknown = sorted(set(value) - set(offered))
        if unknown:
            errors[name] = _("Not offered by this connector: %(names)s (it offers: %(offered)s).") % {
                "names": ", ".join(unknown),
                "offered": ", ".join(offered) or "-",
            }
        data[name] = sorted(set(value))
    has_password = bool(data.get("password") or (connection is not None and connection.password))
    if connector is not None and connector.push_needs_password and data.get("push") and not has_password:
        errors.setdefault(
            "push", _("Pushing into this CMS needs its secret (Wagtail: the companion secret).")
        )
    if "conflict_policy" in data and data["conflict_policy"] not in Connection.ConflictPolicy.values:
        errors["conflict_policy"] = _("Choose one of: %(values)s.") % {
            "values": ", ".join(Connection.ConflictPolicy.values)
        }
    if errors:
        raise ValidationError(errors)
    return data


def connection_save(
    *, event: Event, data: dict[str, Any], connection: Connection | None = None
) -> Connection:
    """Create (``connection`` None) or change a connection; raises ValidationError by field.

    An empty or missing ``password`` keeps the stored one; a given one is encrypted at once.
    """
    data = _check({key: value for key, value in data.items() if key in FIELDS}, connection)
    with transaction.atomic():
        if connection is None:
            connection = Connection(event=event)
        for key, value in data.items():
            if key == "password":
                if value:
                    connection.password = secret_encrypt(str(value))
                continue
            setattr(connection, key, value if value is not None else "")
        connection.save()
    return connection


def webhook_secret_rotate(connection: Connection) -> Secret:
    """Replace the webhook signing secret; the new one is returned to be shown once."""
    plain = secrets.token_urlsafe(32)
    connection.webhook_secret = secret_encrypt(plain)
    connection.save(update_fields=["webhook_secret"])
    return Secret(plain)
