"""Control panel pages of automation: rules, message templates, SMS settings, the inbound
webhook, and a contact's automation timeline."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eventyay.base.models import Organizer
from eventyay.control.permissions import organizer_view
from eventyay_campaigns.channels_sms import sms_settings, sms_settings_save, twilio_status_url
from eventyay_campaigns.forms_automation import RuleForm, SmsSettingsForm, TemplateForm, action_forms
from eventyay_campaigns.hooks import CAMPAIGNS_READ_PERMISSION, CAMPAIGNS_WRITE_PERMISSION, READ_PERMISSION
from eventyay_campaigns.models import (
    AutomationAction,
    AutomationRule,
    AutomationRun,
    AutomationStep,
    Contact,
    InboundDelivery,
    InboundEndpoint,
    MessageTemplate,
)
from eventyay_campaigns.services import automation, inbound

#: Recent inbound deliveries shown on the endpoint's page.
DELIVERIES_SHOWN = 50
#: Runs shown on a contact's timeline.
RUNS_SHOWN = 100


def _org(request: HttpRequest) -> Organizer:
    return request.organizer  # type: ignore[attr-defined]


def _url(name: str, request: HttpRequest, **kwargs: Any) -> str:
    return reverse(f"plugins:campaigns:control.{name}", kwargs={"organizer": _org(request).slug, **kwargs})


def _errors_into(form: Any, exc: ValidationError) -> None:
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, [f"{name}: {e}" for e in errors])


@organizer_view(CAMPAIGNS_READ_PERMISSION)
def rules(request: HttpRequest, organizer: str) -> HttpResponse:
    found = (
        AutomationRule.objects.filter(organizer=_org(request))
        .select_related("event")
        .prefetch_related(Prefetch("actions", queryset=AutomationAction.objects.order_by("position")))
        .annotate(pending=Count("runs__steps", filter=Q(runs__steps__status=AutomationStep.Status.PENDING)))
    )
    return render(request, "eventyay_campaigns/control/automation_rules.html", {"rules": found})


@organizer_view(CAMPAIGNS_READ_PERMISSION, post=CAMPAIGNS_WRITE_PERMISSION)
def rule_edit(request: HttpRequest, organizer: str, pk: int | None = None) -> HttpResponse:
    rule = get_object_or_404(AutomationRule, organizer=_org(request), pk=pk) if pk else None
    data = request.POST if request.method == "POST" else None
    form = RuleForm(data, instance=rule, organizer=_org(request))
    actions = action_forms(_org(request), data, rule)
    if data is not None and form.is_valid() and all(a.is_valid() for a in actions):
        chosen = [row for row in (a.service_data() for a in actions) if row is not None]
        try:
            saved = automation.rule_save(
                organizer=_org(request),
                data=form.service_data(),
                actions=chosen,
                rule=rule,
                actor=request.user,
            )
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, _("The rule has been saved."))
            return redirect(_url("automation.rule", request, pk=saved.pk))
    return render(
        request,
        "eventyay_campaigns/control/automation_rule.html",
        {"form": form, "actions": actions, "rule": rule},
    )


@require_POST
@organizer_view(CAMPAIGNS_WRITE_PERMISSION)
def rule_pause(request: HttpRequest, organizer: str, pk: int) -> HttpResponse:
    rule = get_object_or_404(AutomationRule, organizer=_org(request), pk=pk)
    if request.POST.get("resume"):
        automation.rule_resume(rule=rule, actor=request.user)
        messages.success(request, _("The rule is active again."))
    else:
        canceled = automation.rule_pause(rule=rule, actor=request.user)
        messages.success(
            request, _("The rule is paused; %(count)d pending steps were canceled.") % {"count": canceled}
        )
    return redirect(_url("automation.rules", request))


@organizer_view(CAMPAIGNS_WRITE_PERMISSION)
def rule_delete(request: HttpRequest, organizer: str, pk: int) -> HttpResponse:
    rule = get_object_or_404(AutomationRule, organizer=_org(request), pk=pk)
    if request.method == "POST":
        automation.rule_delete(rule=rule, actor=request.user)
        messages.success(request, _("The rule has been deleted."))
        return redirect(_url("automation.rules", request))
    return render(
        request,
        "eventyay_campaigns/control/confirm.html",
        {"object": rule, "question": _("Delete this rule and its history?"), "button": _("Delete")},
    )


@organizer_view(CAMPAIGNS_READ_PERMISSION)
def templates(request: HttpRequest, organizer: str) -> HttpResponse:
    found = MessageTemplate.objects.filter(organizer=_org(request))
    return render(request, "eventyay_campaigns/control/automation_templates.html", {"templates": found})


@organizer_view(CAMPAIGNS_READ_PERMISSION, post=CAMPAIGNS_WRITE_PERMISSION)
def template_edit(request: HttpRequest, organizer: str, pk: int | None = None) -> HttpResponse:
    template = get_object_or_404(MessageTemplate, organizer=_org(request), pk=pk) if pk else None
    form = TemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        try:
            automation.template_save(
                organizer=_org(request),
                data={name: form.cleaned_data[name] for name in TemplateForm.Meta.fields},
                template=template,
                actor=request.user,
            )
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, _("The template has been saved."))
            return redirect(_url("automation.templates", request))
    return render(
        request, "eventyay_campaigns/control/automation_template.html", {"form": form, "template": template}
    )


@organizer_view(CAMPAIGNS_READ_PERMISSION, post=CAMPAIGNS_WRITE_PERMISSION)
def sms(request: HttpRequest, organizer: str) -> HttpResponse:
    form = SmsSettingsForm(request.POST or None, instance=sms_settings(_org(request)))
    if request.method == "POST" and form.is_valid():
        sms_settings_save(organizer=_org(request), data=form.cleaned_data, actor=request.user)
        messages.success(request, _("The SMS settings have been saved."))
        return redirect(_url("automation.sms", request))
    return render(
        request,
        "eventyay_campaigns/control/automation_sms.html",
        {"form": form, "status_url": twilio_status_url(_org(request))},
    )


@organizer_view(CAMPAIGNS_READ_PERMISSION, post=CAMPAIGNS_WRITE_PERMISSION)
def inbound_endpoint(request: HttpRequest, organizer: str) -> HttpResponse:
    secret = ""
    if request.method == "POST":
        _endpoint, secret = inbound.endpoint_rotate(organizer=_org(request), actor=request.user)
    endpoint = InboundEndpoint.objects.filter(organizer=_org(request)).first()
    deliveries = InboundDelivery.objects.filter(organizer=_org(request)).select_related("contact")[
        :DELIVERIES_SHOWN
    ]
    return render(
        request,
        "eventyay_campaigns/control/automation_inbound.html",
        {
            "endpoint": endpoint,
            "url": inbound.endpoint_url(endpoint) if endpoint else "",
            # Shown in this response only; it is stored encrypted and never shown again.
            "secret": secret,
            "deliveries": deliveries,
            "timestamp_header": inbound.TIMESTAMP_HEADER,
            "signature_header": inbound.SIGNATURE_HEADER,
        },
    )


@organizer_view((READ_PERMISSION, CAMPAIGNS_READ_PERMISSION))
def contact_timeline(request: HttpRequest, organizer: str, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, organizer=_org(request), pk=pk)
    runs = (
        AutomationRun.objects.filter(contact=contact)
        .select_related("rule")
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=AutomationStep.objects.select_related("action").prefetch_related("messages"),
            )
        )[:RUNS_SHOWN]
    )
    return render(
        request, "eventyay_campaigns/control/automation_timeline.html", {"contact": contact, "runs": runs}
    )
