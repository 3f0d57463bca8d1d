"""Writes to the catalogue (categories, products, variations, quotas, questions, vouchers, tax rules).

Every change is one transaction with an audit log entry; a quota's counter follows its new
size and links in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.deletion import ProtectedError
from django.utils.text import slugify
from django.utils.translation import gettext as _

from eventyay.base.models import Event
from eventyay.base.services.log import Actor, log_action
from eventyay_tickets.models import QuestionOption, Quota, Voucher


def _snapshot(obj: models.Model) -> dict[str, Any]:
    data = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        if hasattr(value, "data"):
            value = value.data
        data[field.attname] = (
            value if isinstance(value, str | int | float | bool | dict | type(None)) else str(value)
        )
    return data


def catalogue_save(
    *,
    event: Event,
    model: type[models.Model],
    data: dict[str, Any],
    instance: models.Model | None = None,
    actor: Actor = None,
) -> models.Model:
    """Create (``instance`` None) or change a catalogue object; many-to-many values are set too.

    Questions accept ``options`` as a list of ``{"identifier", "answer", "position"}``.
    """
    data = dict(data)
    options = data.pop("options", None)
    many = {f.name: data.pop(f.name) for f in model._meta.many_to_many if f.name in data}
    with transaction.atomic():
        created = instance is None
        obj = instance or model()
        # Only some catalogue models have an event foreign key (variations and options hang off others).
        event_field = next((f for f in model._meta.concrete_fields if f.name == "event"), None)
        if created and event_field is not None:
            setattr(obj, event_field.name, event)
        for key, value in data.items():
            setattr(obj, key, value)
        if isinstance(obj, Quota):
            _quota_recount(event, obj, many)
        obj.save()
        for name, values in many.items():
            getattr(obj, name).set(values)
        if options is not None:
            _question_options_set(obj, options)
        model_name = model._meta.model_name
        log_action(
            action=f"eventyay_tickets.{model_name}.{'created' if created else 'changed'}",
            organizer=event.organizer,
            event=event,
            obj=obj,
            actor=actor,
            data=_snapshot(obj),
        )
    return obj


def _quota_recount(event: Event, quota: Quota, many: dict[str, Any]) -> None:
    """A quota's counter follows its new size and links (ValidationError if they are too small)."""
    from eventyay_tickets.services.quotas import quota_prepare_change

    def ids(name: str) -> list[int]:
        if name in many:
            return [getattr(value, "pk", value) for value in many[name]]
        if quota.pk is None:
            return []
        return list(getattr(quota, name).values_list("pk", flat=True))

    quota.used = quota_prepare_change(
        event=event,
        quota=quota,
        size=quota.size,
        product_ids=ids("products"),
        variation_ids=ids("variations"),
    )


def _question_options_set(question: Any, options: list[dict[str, Any]]) -> None:
    keep = []
    for position, option in enumerate(options):
        identifier = (
            option.get("identifier") or slugify(str(option.get("answer", "")))[:60] or f"option{position}"
        )
        row, _created = QuestionOption.objects.update_or_create(
            question=question,
            identifier=identifier,
            defaults={"answer": option.get("answer"), "position": option.get("position", position)},
        )
        keep.append(row.pk)
    QuestionOption.objects.filter(question=question).exclude(pk__in=keep).delete()


def catalogue_delete(*, event: Event, instance: models.Model, actor: Actor = None) -> None:
    """Delete a catalogue object; refused (ValidationError) while orders refer to it."""
    name = instance._meta.model_name
    with transaction.atomic():
        log_action(
            action=f"eventyay_tickets.{name}.deleted",
            organizer=event.organizer,
            event=event,
            obj=instance,
            actor=actor,
            data=_snapshot(instance),
        )
        try:
            with transaction.atomic():
                instance.delete()
        except ProtectedError:
            raise ValidationError(
                _("This cannot be deleted because orders refer to it. Deactivate it instead.")
            )


#: Vouchers written per statement; between batches a long creation reports its progress.
VOUCHER_BATCH_SIZE = 500


def vouchers_create(
    *,
    event: Event,
    rows: list[dict[str, Any]],
    actor: Actor = None,
    progress: Callable[[int], None] | None = None,
) -> list[Voucher]:
    """Create many vouchers in one transaction (all or none); codes must be unique in the event.

    ``progress(percentage)`` is called after each batch of :data:`VOUCHER_BATCH_SIZE`.
    """
    codes = [row["code"] for row in rows if row.get("code")]
    duplicates = {code for code in codes if codes.count(code) > 1}
    taken = set(Voucher.objects.filter(event=event, code__in=codes).values_list("code", flat=True))
    errors = [
        {"code": [_("This code is used twice or already exists.")]}
        if row.get("code") in duplicates | taken
        else {}
        for row in rows
    ]
    if any(errors):
        from eventyay_tickets.services.errors import OrderError

        raise OrderError({"vouchers": errors})
    created: list[Voucher] = []
    with transaction.atomic():
        for start in range(0, len(rows), VOUCHER_BATCH_SIZE):
            batch = rows[start : start + VOUCHER_BATCH_SIZE]
            created += Voucher.objects.bulk_create(Voucher(event=event, **row) for row in batch)
            if progress is not None:
                progress(min(99, 100 * len(created) // len(rows)))
        log_action(
            action="eventyay_tickets.voucher.batch_created",
            organizer=event.organizer,
            event=event,
            actor=actor,
            data={"codes": [v.code for v in created]},
        )
    return created
