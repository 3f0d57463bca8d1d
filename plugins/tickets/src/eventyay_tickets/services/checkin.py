"""Check-in: redeeming a ticket secret on one of several lists, idempotent by the device's nonce.

The position row is locked while a scan is decided, so two gates scanning the same ticket at
the same moment cannot both admit it. A scan carrying a nonce that was already recorded for the
position answers with the recorded result, which lets offline devices upload their queue again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from eventyay.base.models import Event, Organizer
from eventyay.base.plugins import notify
from eventyay.base.services.log import Actor, log_action
from eventyay.base.services.webhooks import webhook_emit
from eventyay_tickets.models import Checkin, CheckinList, Order, OrderPosition

STATUSES = ("ok", "already_redeemed", "unpaid", "canceled", "product", "invalid")


@dataclass
class RedeemResult:
    """What the scanner shows. ``status`` is one of :data:`STATUSES`."""

    status: str
    reason: str = ""
    position: OrderPosition | None = None
    checkin_list: CheckinList | None = None
    checkin: Checkin | None = None
    #: For ``already_redeemed``: when the earlier entry happened.
    when: dt.datetime | None = None
    replayed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _applies(checkin_list: CheckinList, position: OrderPosition) -> bool:
    if checkin_list.all_products:
        return True
    return any(p.pk == position.product_id for p in checkin_list.products.all())


def checkin_redeem(
    *,
    organizer: Organizer,
    secret: str,
    lists: list[CheckinList],
    nonce: str = "",
    type: str = Checkin.Type.ENTRY,
    datetime: dt.datetime | None = None,
    actor: Actor = None,
) -> RedeemResult:
    """Decide a scan of ``secret`` against ``lists`` (of ``organizer``'s events) and record it if ok.

    Answers ``ok``, ``already_redeemed`` (``when`` set), ``unpaid``, ``canceled``, ``product``
    (no list covers the product) or ``invalid`` (unknown secret, or an exit on a list without
    exits). Raises ``ValidationError`` for bad arguments (no lists, unknown type).
    """
    if not lists:
        raise ValidationError({"lists": [_("Name at least one check-in list.")]})
    if type not in Checkin.Type.values:
        raise ValidationError({"type": [_("Must be “entry” or “exit”.")]})
    if any(cl.event.organizer_id != organizer.pk for cl in lists):
        raise ValidationError({"lists": [_("Unknown check-in list.")]})
    now = timezone.now()
    when = datetime or now
    event_ids = {cl.event_id for cl in lists}
    with transaction.atomic():
        position = (
            OrderPosition.objects.select_for_update(of=("self",))
            .select_related("order", "product", "variation")
            .filter(secret=secret.strip(), order__event_id__in=event_ids)
            .first()
        )
        if position is None:
            return RedeemResult(status="invalid", reason=_("Unknown ticket."))
        if nonce:
            earlier = (
                Checkin.objects.select_related("checkin_list").filter(position=position, nonce=nonce).first()
            )
            if earlier is not None:
                return RedeemResult(
                    status="ok",
                    position=position,
                    checkin_list=earlier.checkin_list,
                    checkin=earlier,
                    replayed=True,
                )
        candidates = [cl for cl in lists if cl.event_id == position.order.event_id]
        order = position.order
        if order.status in (Order.Status.CANCELED, Order.Status.EXPIRED):
            return RedeemResult(status="canceled", reason=_("The order is canceled."), position=position)
        matching = [cl for cl in candidates if _applies(cl, position)]
        if not matching:
            return RedeemResult(
                status="product", reason=_("This product is not valid on this list."), position=position
            )
        unpaid = order.status != Order.Status.PAID
        if unpaid:
            matching = [cl for cl in matching if cl.include_pending and not order.require_approval]
            if not matching:
                return RedeemResult(status="unpaid", reason=_("The order is not paid."), position=position)
        checkin_list = matching[0]
        if type == Checkin.Type.EXIT and not checkin_list.allow_exit:
            return RedeemResult(
                status="invalid",
                reason=_("This list does not record exits."),
                position=position,
                checkin_list=checkin_list,
            )
        last = (
            Checkin.objects.filter(checkin_list=checkin_list, position=position)
            .order_by("-datetime", "-pk")
            .first()
        )
        if (
            type == Checkin.Type.ENTRY
            and last is not None
            and last.type == Checkin.Type.ENTRY
            and not checkin_list.allow_multiple_entries
        ):
            return RedeemResult(
                status="already_redeemed",
                reason=_("This ticket has already been used."),
                position=position,
                checkin_list=checkin_list,
                when=last.datetime,
            )
        try:
            with transaction.atomic():
                checkin = Checkin.objects.create(
                    checkin_list=checkin_list,
                    position=position,
                    type=type,
                    datetime=when,
                    created=now,
                    nonce=nonce,
                )
        except IntegrityError:
            # The position row is locked, so only a nonce recorded in between can collide.
            checkin = Checkin.objects.get(position=position, nonce=nonce)
            return RedeemResult(
                status="ok",
                position=position,
                checkin_list=checkin.checkin_list,
                checkin=checkin,
                replayed=True,
            )
        event = checkin_list.event
        log_action(
            action=f"eventyay_tickets.checkin.{type}",
            organizer=organizer,
            event=event,
            obj=order,
            actor=actor,
            data={"position": position.positionid, "list": checkin_list.pk, "datetime": when.isoformat()},
        )
        webhook_emit(
            event=event,
            action="checkin.created",
            object_id=checkin.pk,
            data={
                "order": order.code,
                "position": position.positionid,
                "list": checkin_list.pk,
                "type": type,
                "datetime": when.isoformat(),
            },
        )
        enabled = event.enabled_plugin_names
        transaction.on_commit(
            lambda: notify("checkin_created", enabled=enabled, event=event, checkin=checkin), robust=True
        )
    return RedeemResult(status="ok", position=position, checkin_list=checkin_list, checkin=checkin)


def checkin_list_save(
    *, event: Event, data: dict[str, Any], instance: CheckinList | None = None, actor: Actor = None
) -> CheckinList:
    """Create or change a check-in list (``products`` is a list of products of ``event``)."""
    data = dict(data)
    products = data.pop("products", None)
    with transaction.atomic():
        created = instance is None
        checkin_list = instance or CheckinList(event=event)
        for key, value in data.items():
            setattr(checkin_list, key, value)
        checkin_list.save()
        if products is not None:
            checkin_list.products.set(products)
        log_action(
            action=f"eventyay_tickets.checkinlist.{'created' if created else 'changed'}",
            organizer=event.organizer,
            event=event,
            obj=checkin_list,
            actor=actor,
            data={"name": checkin_list.name},
        )
    return checkin_list


def checkin_list_delete(*, event: Event, instance: CheckinList, actor: Actor = None) -> None:
    with transaction.atomic():
        log_action(
            action="eventyay_tickets.checkinlist.deleted",
            organizer=event.organizer,
            event=event,
            actor=actor,
            data={"name": instance.name, "id": instance.pk},
        )
        instance.delete()


def checkin_list_positions(checkin_list: CheckinList):
    """Positions a list admits (pending ones only if it includes pending orders)."""
    statuses = [Order.Status.PAID, *([Order.Status.PENDING] if checkin_list.include_pending else [])]
    positions = OrderPosition.objects.filter(
        order__event_id=checkin_list.event_id, order__status__in=statuses
    )
    if not checkin_list.all_products:
        positions = positions.filter(product__in=checkin_list.products.all())
    return positions


def checkin_counts(event: Event) -> list[dict[str, Any]]:
    """Per list of ``event``: positions it admits, how many of them entered, and exits recorded.

    Two queries plus one count per list (an event has a handful of lists, never hundreds).
    """
    lists = list(CheckinList.objects.filter(event=event).prefetch_related("products"))
    per_list = {
        row["checkin_list"]: row
        for row in Checkin.objects.filter(checkin_list__in=lists)
        .values("checkin_list")
        .annotate(
            entered=Count("position", filter=Q(type=Checkin.Type.ENTRY), distinct=True),
            exits=Count("pk", filter=Q(type=Checkin.Type.EXIT)),
        )
        .order_by()
    }
    rows = []
    for checkin_list in lists:
        counted = per_list.get(checkin_list.pk, {})
        rows.append(
            {
                "list": checkin_list,
                "total": checkin_list_positions(checkin_list).count(),
                "entered": counted.get("entered", 0),
                "exits": counted.get("exits", 0),
            }
        )
    return rows
