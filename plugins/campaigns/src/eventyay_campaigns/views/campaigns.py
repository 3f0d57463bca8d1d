"""Control panel pages of the campaigns, under ``/control/organizer/<organizer>/contacts/campaigns/``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from eventyay.base.models import Organizer
from eventyay.control.pagination import page_of
from eventyay.control.permissions import organizer_view
from eventyay_campaigns.channels import channel_get
from eventyay_campaigns.forms import ContactFilterForm
from eventyay_campaigns.forms_campaigns import CampaignForm, PreviewForm, RateForm, ScheduleForm
from eventyay_campaigns.hooks import CAMPAIGNS_READ_PERMISSION, CAMPAIGNS_WRITE_PERMISSION
from eventyay_campaigns.models import Campaign
from eventyay_campaigns.services import campaigns as services
from eventyay_campaigns.services.rendering import campaign_render
from eventyay_campaigns.services.sending import organizer_rate, rate_set

#: What the action buttons of a campaign do: question, button label, service, allowed states.
ACTIONS: dict[str, tuple[Any, Any, Any]] = {
    "send": (
        gettext_lazy("Send this campaign now to {count} recipients?"),
        gettext_lazy("Send now"),
        services.campaign_start,
    ),
    "schedule": (
        gettext_lazy("Schedule this campaign?"),
        pgettext_lazy("verb", "Schedule"),
        services.campaign_schedule,
    ),
    "unschedule": (
        gettext_lazy("Take this campaign back to draft?"),
        gettext_lazy("Back to draft"),
        services.campaign_unschedule,
    ),
    "pause": (gettext_lazy("Pause sending this campaign?"), gettext_lazy("Pause"), services.campaign_pause),
    "resume": (
        gettext_lazy("Resume sending this campaign?"),
        gettext_lazy("Resume"),
        services.campaign_resume,
    ),
    "cancel": (
        gettext_lazy("Cancel this campaign? Messages not sent yet will not be sent."),
        gettext_lazy("Cancel campaign"),
        services.campaign_cancel,
    ),
}
ALLOWED: dict[str, tuple[str, ...]] = {
    "send": (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED),
    "schedule": (Campaign.Status.DRAFT,),
    "unschedule": (Campaign.Status.SCHEDULED,),
    "pause": (Campaign.Status.SENDING,),
    "resume": (Campaign.Status.PAUSED,),
    "cancel": (
        Campaign.Status.DRAFT,
        Campaign.Status.SCHEDULED,
        Campaign.Status.SENDING,
        Campaign.Status.PAUSED,
    ),
}


def _org(request: HttpRequest) -> Organizer:
    return request.organizer  # type: ignore[attr-defined]


def _url(name: str, request: HttpRequest, **kwargs: Any) -> str:
    return reverse(f"plugins:campaigns:control.{name}", kwargs={"organizer": _org(request).slug, **kwargs})


def _campaign(request: HttpRequest, pk: int) -> Campaign:
    return get_object_or_404(
        Campaign.objects.select_related("organizer", "segment"), organizer=_org(request), pk=pk
    )


@organizer_view(CAMPAIGNS_READ_PERMISSION, post=CAMPAIGNS_WRITE_PERMISSION)
def campaigns(request: HttpRequest, organizer: str) -> HttpResponse:
    """The campaigns with their figures; POST sets the organizer's sending rate."""
    rate_form = RateForm(request.POST or None, initial={"rate": organizer_rate(_org(request))})
    if request.method == "POST" and rate_form.is_valid():
        rate_set(organizer=_org(request), rate=rate_form.cleaned_data["rate"], actor=request.user)
        messages.success(request, _("The sending rate has been saved."))
        return redirect(_url("campaigns", request))
    page = page_of(Campaign.objects.filter(organizer=_org(request)), request)
    figures = services.campaign_figures(page.rows)
    rows = [(campaign, figures[campaign.pk]) for campaign in page.rows]
    return render(
        request,
        "eventyay_campaigns/control/campaigns.html",
        {"page": page, "rows": rows, "rate_form": rate_form},
    )


@organizer_view(CAMPAIGNS_WRITE_PERMISSION)
def campaign_create(request: HttpRequest, organizer: str) -> HttpResponse:
    return _campaign_form(request, None)


@organizer_view(CAMPAIGNS_READ_PERMISSION, post=CAMPAIGNS_WRITE_PERMISSION)
def campaign_detail(request: HttpRequest, organizer: str, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    if campaign.status == Campaign.Status.DRAFT:
        return _campaign_form(request, campaign)
    context = {
        "campaign": campaign,
        "figures": services.campaign_figures([campaign])[campaign.pk],
        "actions": [
            name for name, states in ALLOWED.items() if campaign.status in states and name != "schedule"
        ],
        "progress_url": _url("campaign.progress", request, pk=campaign.pk),
    }
    return render(request, "eventyay_campaigns/control/campaign.html", context)


@organizer_view(CAMPAIGNS_READ_PERMISSION)
def campaign_progress(request: HttpRequest, organizer: str, pk: int) -> HttpResponse:
    """The figures of a campaign, polled by HTMX while it sends; the page itself reloads without JS."""
    campaign = _campaign(request, pk)
    context = {
        "campaign": campaign,
        "figures": services.campaign_figures([campaign])[campaign.pk],
        "progress_url": _url("campaign.progress", request, pk=campaign.pk),
    }
    response = render(request, "eventyay_campaigns/control/_campaign_progress.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _campaign_form(request: HttpRequest, campaign: Campaign | None) -> HttpResponse:
    """Edit a draft; "count" (or HTMX on every change) shows the recipients and the preview."""
    organizer = _org(request)
    bound = request.method == "POST"
    form = CampaignForm(request.POST if bound else None, instance=campaign, organizer=organizer)
    filter_form = ContactFilterForm(
        request.POST if bound else (campaign.filters if campaign else {}), organizer=organizer
    )
    preview_form = PreviewForm(request.POST if bound else request.GET or None, organizer=organizer)
    if bound and "save" in request.POST and form.is_valid() and filter_form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        data["filters"] = filter_form.stored()
        try:
            saved = services.campaign_save(
                organizer=organizer, campaign=campaign, data=data, actor=request.user
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                target = form if field in form.fields else filter_form
                name = field.split(".", 1)[-1]
                target.add_error(name if name in target.fields else None, errors)
        else:
            messages.success(request, _("The campaign has been saved."))
            return redirect(_url("campaign", request, pk=saved.pk))
    recipients = None
    preview = None
    if form.is_valid() and filter_form.is_valid():
        draft = form.save(commit=False)
        draft.organizer = organizer
        draft.filters = filter_form.stored()
        try:
            recipients = services.campaign_recipients_count(draft)
            contact = preview_form.cleaned_data.get("contact") if preview_form.is_valid() else None
            contact = contact or services.campaign_recipients(draft).order_by("pk").first()
            channel = channel_get(draft.channel)
            if channel is not None:
                preview = campaign_render(campaign=draft, contact=contact, channel=channel)
        except ValidationError:
            recipients = None
    context = {
        "form": form,
        "filter_form": filter_form,
        "preview_form": preview_form,
        "campaign": campaign,
        "recipients": recipients,
        "preview": preview,
        "form_url": _url("campaign", request, pk=campaign.pk) if campaign else _url("campaign.add", request),
    }
    if request.headers.get("HX-Request"):
        response = render(request, "eventyay_campaigns/control/_campaign_preview.html", context)
    else:
        response = render(request, "eventyay_campaigns/control/campaign_form.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@organizer_view(CAMPAIGNS_WRITE_PERMISSION)
def campaign_action(request: HttpRequest, organizer: str, pk: int, action: str) -> HttpResponse:
    """Ask for confirmation (GET), then send, schedule, pause, resume or cancel (POST)."""
    if action not in ACTIONS:
        raise Http404()
    campaign = _campaign(request, pk)
    question, button, service = ACTIONS[action]
    schedule_form = ScheduleForm(request.POST or None) if action == "schedule" else None
    if request.method == "POST":
        try:
            if schedule_form is not None:
                if not schedule_form.is_valid():
                    raise ValidationError(schedule_form.errors)
                service(campaign=campaign, send_at=schedule_form.cleaned_data["send_at"], actor=request.user)
            else:
                service(campaign=campaign, actor=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Done."))
        return redirect(_url("campaign", request, pk=campaign.pk))
    count = services.campaign_recipients_count(campaign) if action == "send" else 0
    return render(
        request,
        "eventyay_campaigns/control/campaign_confirm.html",
        {
            "campaign": campaign,
            "question": str(question).format(count=count),
            "button": button,
            "schedule_form": schedule_form,
        },
    )
