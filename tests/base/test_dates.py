"""Dates and times of an event: in its time zone, named, formatted for the visitor's language."""

from __future__ import annotations

import datetime as dt

from django.template import Context, Template
from django.utils import translation

from eventyay.base import dates

# 07:30 UTC on 5 May 2031 is 09:30 in Berlin (summer time).
MOMENT = dt.datetime(2031, 5, 5, 7, 30, tzinfo=dt.UTC)
LATER = dt.datetime(2031, 5, 5, 8, 15, tzinfo=dt.UTC)


class Berlin:
    timezone = "Europe/Berlin"


def test_english_is_day_first_in_the_event_zone_with_the_zone_named():
    with translation.override("en"):
        assert dates.format_datetime(MOMENT, Berlin()) == "5 May 2031, 09:30 CEST"
        assert dates.format_date(MOMENT, Berlin(), long=True) == "Monday, 5 May 2031"


def test_german_has_no_doubled_full_stops():
    with translation.override("de"):
        text = dates.format_datetime(MOMENT, Berlin())
        assert text == "5. Mai 2031, 09:30 CEST"
        assert ".." not in dates.format_date(MOMENT, Berlin(), long=True)


def test_zone_without_abbreviation_reads_as_offset():
    assert dates.format_time(MOMENT, "Asia/Dubai") == "11:30 UTC+04"


def test_range_names_the_day_once_and_the_zone_at_the_end():
    with translation.override("en"):
        assert dates.format_range(MOMENT, LATER, Berlin()) == "5 May 2031, 09:30–10:15 CEST"
        two_days = dates.format_range(MOMENT, MOMENT + dt.timedelta(days=2), Berlin())
        assert two_days == "5 May 2031, 09:30 CEST – 7 May 2031, 09:30 CEST"
        assert (
            dates.format_date_range(MOMENT, MOMENT + dt.timedelta(days=2), Berlin())
            == "5 May 2031 – 7 May 2031"
        )


def test_the_day_is_the_event_zone_day():
    # 23:30 UTC is already the next day in Berlin.
    late = dt.datetime(2031, 5, 4, 23, 30, tzinfo=dt.UTC)
    with translation.override("en"):
        assert dates.format_date(late, Berlin()) == "5 May 2031"


def test_template_filters():
    template = Template(
        "{% load eventyay_public %}{{ moment|event_datetime:event }}|{{ moment|event_time:'America/New_York' }}"
        "|{% event_range moment later event %}|{% event_times moment later event %}"
    )
    with translation.override("en"):
        html = template.render(Context({"moment": MOMENT, "later": LATER, "event": Berlin()}))
    assert html == "5 May 2031, 09:30 CEST|03:30 EDT|5 May 2031, 09:30–10:15 CEST|09:30–10:15 CEST"
