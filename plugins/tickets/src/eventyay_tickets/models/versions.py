"""Version stamps of each event's catalogue, kept in the shared cache.

Whatever is derived from the catalogue (products, variations, questions, quotas and their links,
tax rules, the plugin's and the event's settings) may be memoised under the event's current
stamps; any saved or deleted catalogue row gives its event a new stamp, so the next read builds
afresh. The stamp changes at once and again when the transaction commits: a reader that saw the
old rows between the two stores its result under a stamp nobody asks for any more.

Model signals are used here (and only for this) because catalogue rows are written from many
places, including tests and data imports that do not go through the catalogue services.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from eventyay.base.models import EventPlugin, Setting
from eventyay_tickets.models.catalogue import (
    Category,
    Product,
    ProductVariation,
    Question,
    QuestionOption,
    Quota,
    TaxRule,
)

_EVENT_KEY = "eventyay_tickets:catalogue-version:event:{}"
_ORGANIZER_KEY = "eventyay_tickets:catalogue-version:organizer:{}"


def catalogue_version(*, event_id: int, organizer_id: int) -> tuple[str, str]:
    """The current stamps of an event's catalogue and of its organizer's settings (one cache read)."""
    keys = [_EVENT_KEY.format(event_id), _ORGANIZER_KEY.format(organizer_id)]
    found = cache.get_many(keys)
    stamps = []
    for key in keys:
        stamp = found.get(key)
        if stamp is None:
            cache.add(key, uuid.uuid4().hex, None)
            stamp = cache.get(key)
        stamps.append(str(stamp))
    return stamps[0], stamps[1]


def _restamp(key: str) -> None:
    cache.set(key, uuid.uuid4().hex, None)
    transaction.on_commit(lambda: cache.set(key, uuid.uuid4().hex, None))


def catalogue_changed(*, event_id: int | None) -> None:
    """Give the event's catalogue a new stamp (now and once the current transaction commits)."""
    if event_id is not None:
        _restamp(_EVENT_KEY.format(event_id))


def organizer_settings_changed(*, organizer_id: int) -> None:
    """Organizer-wide settings apply to all its events: give them all a new stamp."""
    _restamp(_ORGANIZER_KEY.format(organizer_id))


def _event_id_of(instance: Any) -> int | None:
    if isinstance(instance, ProductVariation):
        if "product" in instance._state.fields_cache:
            return instance.product.event_id
        return Product.objects.filter(pk=instance.product_id).values_list("event_id", flat=True).first()
    if isinstance(instance, QuestionOption):
        if "question" in instance._state.fields_cache:
            return instance.question.event_id
        return Question.objects.filter(pk=instance.question_id).values_list("event_id", flat=True).first()
    return getattr(instance, "event_id", None)


def _row_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    catalogue_changed(event_id=_event_id_of(instance))


def _links_changed(sender: type, instance: Any, action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        catalogue_changed(event_id=_event_id_of(instance))


def _setting_changed(sender: type, instance: Setting, **kwargs: Any) -> None:
    if instance.event_id is None:
        organizer_settings_changed(organizer_id=instance.organizer_id)
    else:
        catalogue_changed(event_id=instance.event_id)


for _model in (Category, Product, ProductVariation, Question, QuestionOption, Quota, TaxRule, EventPlugin):
    post_save.connect(_row_changed, sender=_model, dispatch_uid=f"tickets-catalogue-{_model.__name__}")
    post_delete.connect(_row_changed, sender=_model, dispatch_uid=f"tickets-catalogue-del-{_model.__name__}")
for _through in (Quota.products.through, Quota.variations.through, Question.products.through):
    m2m_changed.connect(
        _links_changed, sender=_through, dispatch_uid=f"tickets-catalogue-{_through.__name__}"
    )
post_save.connect(_setting_changed, sender=Setting, dispatch_uid="tickets-catalogue-setting")
post_delete.connect(_setting_changed, sender=Setting, dispatch_uid="tickets-catalogue-setting-del")
