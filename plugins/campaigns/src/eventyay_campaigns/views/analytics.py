"""The control panel's campaign figures: a table per campaign, charts per day, a CSV export.

The charts are inline SVG drawn on the server: readable without JavaScript and with no
front-end asset to load; each bar carries its figure as text for screen readers and tooltips.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from eventyay.control.permissions import organizer_view
from eventyay_campaigns.hooks import CAMPAIGNS_READ_PERMISSION
from eventyay_campaigns.services.analytics import FILTER_FIELDS, Report, campaign_report, report_csv

CHART_WIDTH = 720
CHART_HEIGHT = 160
#: The charts drawn, by figure: (figure, title).
CHARTS = (
    ("sent", _("Messages sent")),
    ("unique_clicks", _("Unique clicks")),
    ("unsubscribed", _("Unsubscribes")),
    ("orders_last_touch", _("Orders (last touch)")),
    ("revenue_last_touch", _("Revenue (last touch)")),
    ("registrations_last_touch", _("Registrations (last touch)")),
)


class AnalyticsFilterForm(forms.Form):
    utm_source = forms.CharField(label="utm_source", max_length=100, required=False)
    utm_medium = forms.CharField(label="utm_medium", max_length=100, required=False)
    utm_campaign = forms.CharField(label="utm_campaign", max_length=100, required=False)
    utm_content = forms.CharField(label="utm_content", max_length=100, required=False)
    utm_term = forms.CharField(label="utm_term", max_length=100, required=False)


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: str


@dataclass
class Chart:
    key: str
    title: str
    bars: list[Bar]
    maximum: str


def _charts(report: Report) -> list[Chart]:
    charts = []
    count = max(len(report.days), 1)
    slot = CHART_WIDTH / count
    for key, title in CHARTS:
        values: list[Decimal] = [
            Decimal(figures.amounts[key]) if key in figures.amounts else Decimal(figures.counts[key])
            for _day, figures in report.days
        ]
        top = max(values, default=Decimal(0)) or Decimal(1)
        bars = []
        for index, ((day, _figures), value) in enumerate(zip(report.days, values, strict=True)):
            height = float(value / top) * (CHART_HEIGHT - 20)
            bars.append(
                Bar(
                    x=round(index * slot + slot * 0.1, 1),
                    y=round(CHART_HEIGHT - height, 1),
                    width=round(max(slot * 0.8, 1), 1),
                    height=round(height, 1),
                    label=day.isoformat(),
                    value=str(value),
                )
            )
        charts.append(Chart(key=key, title=str(title), bars=bars, maximum=str(max(values, default=0))))
    return charts


@organizer_view(CAMPAIGNS_READ_PERMISSION)
def campaign_analytics(request: HttpRequest, organizer: str) -> HttpResponse:
    form = AnalyticsFilterForm(request.GET or None)
    report = None
    if not form.is_bound or form.is_valid():
        filters = form.cleaned_data if form.is_bound else {}
        report = campaign_report(organizer=request.organizer, filters=filters)  # type: ignore[attr-defined]
        if request.GET.get("format") == "csv":
            response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="campaign-analytics.csv"'
            return response
    query = request.GET.copy()
    query["format"] = "csv"
    return render(
        request,
        "eventyay_campaigns/control/analytics.html",
        {
            "form": form,
            "report": report,
            "charts": _charts(report) if report else [],
            "chart_width": CHART_WIDTH,
            "chart_height": CHART_HEIGHT,
            "csv_query": query.urlencode(),
            "filter_fields": FILTER_FIELDS,
        },
    )
