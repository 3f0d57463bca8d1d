"""Control panel pages of the contacts, under ``/control/organizer/<organizer>/contacts/``."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eventyay.base.models import Job, Organizer
from eventyay.base.storage import private_storage, unguessable_name
from eventyay.control.pagination import page_of
from eventyay.control.permissions import organizer_view
from eventyay_campaigns import importing
from eventyay_campaigns.forms import (
    ContactFilterForm,
    ContactForm,
    CustomFieldForm,
    ImportForm,
    MergeForm,
    SegmentForm,
)
from eventyay_campaigns.hooks import READ_PERMISSION, WRITE_PERMISSION
from eventyay_campaigns.models import Contact, CustomFieldDefinition, Segment
from eventyay_campaigns.selectors import SORT_FIELDS, contact_history, contacts_matching, contacts_size
from eventyay_campaigns.services import contacts as contact_services

#: Session key of the file being imported, per organizer.
IMPORT_SESSION_KEY = "campaigns_import_{}"


def _org(request: HttpRequest) -> Organizer:
    """The URL's organizer, set by the tenant middleware."""
    return request.organizer  # type: ignore[attr-defined]


def _url(name: str, request: HttpRequest, **kwargs: Any) -> str:
    return reverse(f"plugins:campaigns:control.{name}", kwargs={"organizer": _org(request).slug, **kwargs})


def _contact(request: HttpRequest, pk: int) -> Contact:
    return get_object_or_404(Contact, organizer=_org(request), pk=pk)


def _actor(request: HttpRequest) -> Any:
    return request.user


@organizer_view(READ_PERMISSION)
def contacts(request: HttpRequest, organizer: str) -> HttpResponse:
    form = ContactFilterForm(request.GET or None, organizer=_org(request))
    page = None
    if form.is_bound and form.is_valid():
        criteria = form.criteria()
    elif not form.is_bound:
        form = ContactFilterForm({}, organizer=_org(request))
        form.is_valid()
        criteria = form.criteria()
    else:
        criteria = None
    if criteria is not None:
        queryset = contacts_matching(organizer=_org(request), criteria=criteria).prefetch_related("tags")
        page = page_of(queryset, request)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("sort_by", None)
    return render(
        request,
        "eventyay_campaigns/control/contacts.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "sort_by": request.GET.get("sort_by", ""),
            "sortable": SORT_FIELDS,
        },
    )


@organizer_view(WRITE_PERMISSION)
def contact_create(request: HttpRequest, organizer: str) -> HttpResponse:
    return _contact_form(request, None)


@organizer_view(WRITE_PERMISSION)
def contact_edit(request: HttpRequest, organizer: str, pk: int) -> HttpResponse:
    return _contact_form(request, _contact(request, pk))


def _contact_form(request: HttpRequest, contact: Contact | None) -> HttpResponse:
    form = ContactForm(request.POST or None, instance=contact, organizer=_org(request))
    if request.method == "POST" and form.is_valid():
        try:
            saved = contact_services.contact_save(
                organizer=_org(request),
                contact=contact,
                data=form.service_data(),
                actor=_actor(request),
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, _("The contact has been saved."))
            return redirect(_url("contact", request, pk=saved.pk))
    return render(request, "eventyay_campaigns/control/contact_form.html", {"form": form, "contact": contact})


@organizer_view(READ_PERMISSION, post=WRITE_PERMISSION)
def contact_detail(request: HttpRequest, organizer: str, pk: int) -> HttpResponse:
    contact = _contact(request, pk)
    merge_form = MergeForm(request.POST or None, contact=contact)
    if request.method == "POST" and merge_form.is_valid():
        contact_services.contacts_merge(
            target=contact, duplicate=merge_form.cleaned_data["duplicate"], actor=_actor(request)
        )
        messages.success(request, _("The contacts have been merged."))
        return redirect(_url("contact", request, pk=contact.pk))
    return render(
        request,
        "eventyay_campaigns/control/contact.html",
        {
            "contact": contact,
            "history": page_of(contact_history(contact=contact), request),
            "merge_form": merge_form,
            "custom_fields": [
                (d.label, contact.custom_fields.get(d.key))
                for d in CustomFieldDefinition.objects.filter(organizer=_org(request))
                if d.key in contact.custom_fields
            ],
        },
    )


@organizer_view(WRITE_PERMISSION)
def contact_delete(request: HttpRequest, organizer: str, pk: int) -> HttpResponse:
    contact = _contact(request, pk)
    if request.method == "POST":
        contact_services.contact_delete(contact=contact, actor=_actor(request))
        messages.success(request, _("The contact has been deleted."))
        return redirect(_url("contacts", request))
    return render(
        request,
        "eventyay_campaigns/control/confirm.html",
        {"object": contact, "question": _("Delete this contact and its history?"), "button": _("Delete")},
    )


@organizer_view(WRITE_PERMISSION)
def contact_erase(request: HttpRequest, organizer: str, pk: int) -> HttpResponse:
    contact = _contact(request, pk)
    if request.method == "POST":
        contact_services.contact_erase(contact=contact, actor=_actor(request))
        messages.success(request, _("The contact's personal data has been erased."))
        return redirect(_url("contact", request, pk=contact.pk))
    return render(
        request,
        "eventyay_campaigns/control/confirm.html",
        {
            "object": contact,
            "question": _(
                "Erase this person's personal data? The contact keeps only anonymous event "
                "statistics, and plugins holding their orders are asked to anonymise them. "
                "This cannot be undone."
            ),
            "button": _("Erase"),
        },
    )


@organizer_view(WRITE_PERMISSION)
def contact_export(request: HttpRequest, organizer: str, pk: int) -> HttpResponse:
    contact = _contact(request, pk)
    response = HttpResponse(
        json.dumps(contact_services.contact_export(contact=contact), indent=2, ensure_ascii=False),
        content_type="application/json",
    )
    response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}.json"'
    return response


@organizer_view(WRITE_PERMISSION)
@require_POST
def hosts_backfill(request: HttpRequest, organizer: str) -> HttpResponse:
    created = contact_services.hosts_backfill(organizer=_org(request))
    messages.success(request, _("%d new host entries recorded.") % created)
    return redirect(_url("contacts", request))


# Segments -------------------------------------------------------------------------------------


@organizer_view(READ_PERMISSION)
def segments(request: HttpRequest, organizer: str) -> HttpResponse:
    return render(
        request,
        "eventyay_campaigns/control/segments.html",
        {"segments": Segment.objects.filter(organizer=_org(request))},
    )


@organizer_view(WRITE_PERMISSION)
def segment_create(request: HttpRequest, organizer: str) -> HttpResponse:
    return _segment_form(request, None)


@organizer_view(WRITE_PERMISSION)
def segment_edit(request: HttpRequest, organizer: str, pk: int) -> HttpResponse:
    return _segment_form(request, get_object_or_404(Segment, organizer=_org(request), pk=pk))


def _segment_form(request: HttpRequest, segment: Segment | None) -> HttpResponse:
    """Save a segment; the "count" button (or the HTMX request on every change) shows its size."""
    bound = request.method == "POST"
    form = SegmentForm(request.POST if bound else None, instance=segment)
    filter_form = ContactFilterForm(
        request.POST if bound else (segment.filters if segment else {}), organizer=_org(request)
    )
    size = (
        contacts_size(organizer=_org(request), criteria=filter_form.criteria())
        if filter_form.is_valid()
        else None
    )
    if bound and "save" in request.POST and form.is_valid() and filter_form.is_valid():
        saved = contact_services.segment_save(
            organizer=_org(request),
            segment=segment,
            name=form.cleaned_data["name"],
            filters=filter_form.stored(),
            actor=_actor(request),
        )
        messages.success(request, _("The segment has been saved."))
        return redirect(_url("segment", request, pk=saved.pk))
    context = {"form": form, "filter_form": filter_form, "segment": segment, "size": size}
    if request.headers.get("HX-Request"):
        return render(request, "eventyay_campaigns/control/_segment_size.html", context)
    return render(request, "eventyay_campaigns/control/segment_form.html", context)


@organizer_view(WRITE_PERMISSION)
def segment_delete(request: HttpRequest, organizer: str, pk: int) -> HttpResponse:
    segment = get_object_or_404(Segment, organizer=_org(request), pk=pk)
    if request.method == "POST":
        contact_services.segment_delete(segment=segment, actor=_actor(request))
        messages.success(request, _("The segment has been deleted."))
        return redirect(_url("segments", request))
    return render(
        request,
        "eventyay_campaigns/control/confirm.html",
        {"object": segment, "question": _("Delete this segment?"), "button": _("Delete")},
    )


# Custom fields --------------------------------------------------------------------------------


@organizer_view(READ_PERMISSION, post=WRITE_PERMISSION)
def custom_fields(request: HttpRequest, organizer: str) -> HttpResponse:
    form = CustomFieldForm(request.POST or None, organizer=_org(request))
    if request.method == "POST" and form.is_valid():
        contact_services.custom_field_save(
            organizer=_org(request),
            key=form.cleaned_data["key"],
            label=form.cleaned_data["label"],
            type=form.cleaned_data["type"],
            choices=form.cleaned_data["choices"],
            actor=_actor(request),
        )
        messages.success(request, _("The field has been added."))
        return redirect(_url("fields", request))
    return render(
        request,
        "eventyay_campaigns/control/fields.html",
        {"form": form, "fields": CustomFieldDefinition.objects.filter(organizer=_org(request))},
    )


@organizer_view(WRITE_PERMISSION)
@require_POST
def custom_field_delete(request: HttpRequest, organizer: str, pk: int) -> HttpResponse:
    definition = get_object_or_404(CustomFieldDefinition, organizer=_org(request), pk=pk)
    contact_services.custom_field_delete(definition=definition, actor=_actor(request))
    messages.success(request, _("The field has been removed."))
    return redirect(_url("fields", request))


# Import ---------------------------------------------------------------------------------------


@organizer_view(WRITE_PERMISSION)
def contact_import(request: HttpRequest, organizer: str) -> HttpResponse:
    """Step 1: upload. Step 2 (``contact_import_map``): map columns, dry run, import."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            importing.import_file_read(file=upload, filename=upload.name)
        except importing.ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            upload.seek(0)
            name = private_storage.save(unguessable_name("campaigns/imports", upload.name), upload)
            request.session[IMPORT_SESSION_KEY.format(_org(request).pk)] = name
            return redirect(_url("import.map", request))
    return render(request, "eventyay_campaigns/control/import.html", {"form": form})


@organizer_view(WRITE_PERMISSION)
def contact_import_map(request: HttpRequest, organizer: str) -> HttpResponse:
    name = request.session.get(IMPORT_SESSION_KEY.format(_org(request).pk))
    if not name or not private_storage.exists(name):
        messages.error(request, _("Upload a file first."))
        return redirect(_url("import", request))
    with private_storage.open(name, "rb") as file:
        header, rows = importing.import_file_read(file=file, filename=name)
    targets = importing.import_targets(organizer=_org(request))
    known = {value for value, _label in targets}
    labels = {label.lower(): value for value, label in targets} | {value: value for value in known}
    if request.method == "POST":
        mapping = {
            index: request.POST.get(f"column_{index}", "")
            for index in range(len(header))
            if request.POST.get(f"column_{index}", "") in known
        }
    else:
        previous = _import_job(request, request.GET.get("job", "")) if request.GET.get("job") else None
        if previous is not None:
            # Back from a dry run: keep the mapping it used.
            mapping = {int(index): target for index, target in previous.options.get("mapping", {}).items()}
        else:
            mapping = {index: labels.get(title.lower(), "") for index, title in enumerate(header)}
    if request.method == "POST":
        job = importing.import_job_create(
            organizer=_org(request),
            user=request.user,  # type: ignore[arg-type]
            file=name,
            mapping=mapping,
            dry_run="import" not in request.POST,
        )
        return redirect(_url("import.job", request, job=job.pk))
    columns = [
        {
            "index": index,
            "title": title,
            "target": mapping.get(index, ""),
            "sample": rows[0][index] if rows else "",
        }
        for index, title in enumerate(header)
    ]
    return render(
        request,
        "eventyay_campaigns/control/import_map.html",
        {"columns": columns, "targets": targets, "row_count": len(rows)},
    )


def _import_job(request: HttpRequest, job_id: Any) -> Job | None:
    """The requester's own import job of this organizer; None for anything else."""
    if request.user.pk is None:
        return None
    try:
        return Job.objects.filter(
            pk=job_id, organizer=_org(request), kind=importing.IMPORT_JOB_KIND, user_id=request.user.pk
        ).first()
    except (ValueError, ValidationError):
        return None


@organizer_view(WRITE_PERMISSION)
def contact_import_job(request: HttpRequest, organizer: str, job: Any) -> HttpResponse:
    """A dry run or an import: its progress (polled by HTMX) until it is done, then its report."""
    found = _import_job(request, job)
    if found is None:
        raise Http404()
    report = importing.import_report(found)
    if report is not None and report["written"]:
        session_key = IMPORT_SESSION_KEY.format(_org(request).pk)
        if request.session.get(session_key) == found.options["file"]:
            del request.session[session_key]
    context = {
        "job": found,
        "report": report,
        "job_url": _url("import.job", request, job=found.pk),
        "map_url": _url("import.map", request) + f"?job={found.pk}",
        "contacts_url": _url("contacts", request),
    }
    partial = request.headers.get("HX-Request") == "true"
    template = (
        "eventyay_campaigns/control/_import_job.html"
        if partial
        else "eventyay_campaigns/control/import_job.html"
    )
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
