"""The redeem service answers every case, and a replayed nonce never checks in twice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scope

from .backoffice import make_checkin_list, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkin_list(catalogue):
    return make_checkin_list(catalogue)


def redeem(catalogue, secret, lists, **kwargs):
    from eventyay_tickets.services.checkin import checkin_redeem

    with scope(organizer=catalogue.event.organizer):
        return checkin_redeem(organizer=catalogue.event.organizer, secret=secret, lists=lists, **kwargs)


def secret_of(order):
    with scope(organizer=order.event.organizer):
        return order.positions.get().secret


def test_a_paid_ticket_is_admitted_once(catalogue, checkin_list):
    secret = secret_of(place_order(catalogue))
    first = redeem(catalogue, secret, [checkin_list])
    assert first.status == "ok" and first.checkin is not None
    second = redeem(catalogue, secret, [checkin_list])
    assert second.status == "already_redeemed"
    assert second.when == first.checkin.datetime


def test_a_replayed_nonce_answers_ok_without_a_second_checkin(catalogue, checkin_list):
    from eventyay_tickets.models import Checkin

    secret = secret_of(place_order(catalogue))
    when = timezone.now() - dt.timedelta(minutes=10)
    first = redeem(catalogue, secret, [checkin_list], nonce="device-1-0001", datetime=when)
    replay = redeem(catalogue, secret, [checkin_list], nonce="device-1-0001", datetime=when)
    assert first.status == replay.status == "ok"
    assert replay.replayed and replay.checkin.pk == first.checkin.pk
    with scope(organizer=catalogue.event.organizer):
        assert Checkin.objects.count() == 1
        assert Checkin.objects.get().datetime == when


def test_unknown_secrets_are_invalid(catalogue, checkin_list):
    assert redeem(catalogue, "no-such-secret", [checkin_list]).status == "invalid"


def test_unpaid_orders_are_refused_unless_the_list_includes_pending(catalogue, checkin_list):
    secret = secret_of(place_order(catalogue, paid=False))
    assert redeem(catalogue, secret, [checkin_list]).status == "unpaid"
    with scope(organizer=catalogue.event.organizer):
        checkin_list.include_pending = True
        checkin_list.save()
    assert redeem(catalogue, secret, [checkin_list]).status == "ok"


def test_canceled_orders_are_refused(catalogue, checkin_list):
    from eventyay_tickets.services import order_cancel

    order = place_order(catalogue)
    with scope(organizer=catalogue.event.organizer):
        order.event = catalogue.event
        order_cancel(order=order, refund=False, send_email=False)
    assert redeem(catalogue, secret_of(order), [checkin_list]).status == "canceled"


def test_products_outside_the_list_are_refused(catalogue, checkin_list):
    with scope(organizer=catalogue.event.organizer):
        checkin_list.all_products = False
        checkin_list.save()
        checkin_list.products.set([catalogue.shirt])
    assert redeem(catalogue, secret_of(place_order(catalogue)), [checkin_list]).status == "product"


def test_exits_need_a_list_that_records_them_and_allow_reentry(catalogue, checkin_list):
    secret = secret_of(place_order(catalogue))
    assert redeem(catalogue, secret, [checkin_list]).status == "ok"
    refused = redeem(catalogue, secret, [checkin_list], type="exit")
    assert refused.status == "invalid"
    with scope(organizer=catalogue.event.organizer):
        checkin_list.allow_exit = True
        checkin_list.save()
    assert redeem(catalogue, secret, [checkin_list], type="exit").status == "ok"
    assert redeem(catalogue, secret, [checkin_list]).status == "ok"
    assert redeem(catalogue, secret, [checkin_list]).status == "already_redeemed"


def test_lists_allowing_multiple_entries_admit_again(catalogue, checkin_list):
    with scope(organizer=catalogue.event.organizer):
        checkin_list.allow_multiple_entries = True
        checkin_list.save()
    secret = secret_of(place_order(catalogue))
    assert [redeem(catalogue, secret, [checkin_list]).status for _i in range(3)] == ["ok"] * 3


def test_bad_arguments_raise_validation_errors(catalogue, checkin_list):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        redeem(catalogue, "x", [])
    with pytest.raises(ValidationError):
        redeem(catalogue, "x", [checkin_list], type="sideways")


def test_a_checkin_is_logged_and_sent_to_webhooks(catalogue, checkin_list):
    from eventyay.base.models import LogEntry

    redeem(catalogue, secret_of(place_order(catalogue)), [checkin_list])
    with scope(organizer=catalogue.event.organizer):
        assert LogEntry.objects.filter(action_type="eventyay_tickets.checkin.entry").count() == 1


def test_counts_per_list(catalogue, checkin_list):
    from eventyay_tickets.services.checkin import checkin_counts

    place_order(catalogue, paid=False)
    redeem(catalogue, secret_of(place_order(catalogue)), [checkin_list])
    with scope(organizer=catalogue.event.organizer):
        (row,) = checkin_counts(catalogue.event)
    assert (row["total"], row["entered"]) == (1, 1)
