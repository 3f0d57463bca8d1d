"""``/api/v1/organizers/<org>/contacts/`` and ``.../segments/``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, viewsets
from rest_framework.pagination import _positive_int
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from eventyay.api.mixins import OrganizerViewMixin
from eventyay.api.pagination import Pagination
from eventyay_campaigns.api.serializers import ContactSerializer, SegmentSerializer
from eventyay_campaigns.forms import ContactFilterForm
from eventyay_campaigns.hooks import READ_PERMISSION, WRITE_PERMISSION
from eventyay_campaigns.models import Contact, Segment
from eventyay_campaigns.selectors import COUNT_EXACT_UP_TO, contacts_matching, contacts_size
from eventyay_campaigns.services import contacts as contact_services


class ContactPagination(Pagination):
    """The platform's pagination with a size that stays fast on a million contacts.

    ``count`` is exact up to :data:`~eventyay_campaigns.selectors.COUNT_EXACT_UP_TO` matches;
    above that it is PostgreSQL's estimate and ``count_exact`` is false (counting a million
    rows exactly takes longer than the rest of the request). ``next`` does not depend on the
    count: it is given whenever another page has rows. ``limit`` is accepted as another name
    for ``page_size``.
    """

    def get_page_size(self, request: Request) -> int | None:
        value = request.query_params.get("page_size") or request.query_params.get("limit")
        if value:
            try:
                return _positive_int(value, strict=True, cutoff=self.max_page_size)
            except (KeyError, ValueError):
                pass
        return self.page_size

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        page_size = self.get_page_size(request)
        if page_size is None or view is None or not hasattr(view, "criteria"):
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        try:
            number = _positive_int(request.query_params.get(self.page_query_param, "1"), strict=True)
        except ValueError:
            raise exceptions.NotFound("Invalid page.") from None
        start = (number - 1) * page_size
        # One row more than the page tells whether a next page exists, without a count.
        rows = list(queryset[start : start + page_size + 1])
        if not rows and number > 1:
            raise exceptions.NotFound("Invalid page.")
        self.size = contacts_size(organizer=view.organizer, criteria=view.criteria)
        self.number, self.has_next = number, len(rows) > page_size
        return rows[:page_size]

    def get_paginated_response(self, data: Any) -> Response:
        if not hasattr(self, "size"):
            return super().get_paginated_response(data)
        assert self.request is not None  # set by paginate_queryset
        url = self.request.build_absolute_uri()
        next_url = replace_query_param(url, self.page_query_param, self.number + 1) if self.has_next else None
        previous_url = None
        if self.number == 2:
            previous_url = remove_query_param(url, self.page_query_param)
        elif self.number > 2:
            previous_url = replace_query_param(url, self.page_query_param, self.number - 1)
        return Response(
            {
                "count": self.size.value,
                "count_exact": self.size.exact,
                "next": next_url,
                "previous": previous_url,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"]["description"] = (
            f"How many contacts match: exact up to {COUNT_EXACT_UP_TO:,}, otherwise the database's "
            "estimate (then count_exact is false)."
        )
        response["properties"]["count_exact"] = {
            "type": "boolean",
            "description": f"False when more than {COUNT_EXACT_UP_TO:,} contacts match and count is an "
            "estimate. Follow next until it is null to read every match.",
        }
        response["required"] = [*response.get("required", []), "count_exact"]
        return response


FILTER_PARAMETERS = [
    OpenApiParameter(name, OpenApiTypes.STR, description=str(field.label))
    for name, field in ContactFilterForm.base_fields.items()
] + [
    OpenApiParameter("cf_<key>", OpenApiTypes.STR, description="A custom field's value."),
    OpenApiParameter("limit", OpenApiTypes.INT, description="Another name for page_size."),
]


def _filter_form(request: Request, organizer: Any) -> ContactFilterForm:
    form = ContactFilterForm(request.query_params, organizer=organizer)
    if not form.is_valid():
        raise exceptions.ValidationError(
            {name: [str(message) for message in errors] for name, errors in form.errors.items()}
        )
    return form


@extend_schema_view(list=extend_schema(parameters=FILTER_PARAMETERS))
class ContactViewSet(OrganizerViewMixin, viewsets.ModelViewSet):
    permission = READ_PERMISSION
    write_permission = WRITE_PERMISSION
    serializer_class = ContactSerializer
    pagination_class = ContactPagination
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Contact]:
        if self.action == "list":
            # Kept for the pagination, which asks for the size of the same selection.
            self.criteria = _filter_form(self.request, self.organizer).criteria()
            queryset = contacts_matching(organizer=self.organizer, criteria=self.criteria)
        else:
            queryset = Contact.objects.filter(organizer=self.organizer)
        return queryset.prefetch_related("tags")

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = contact_services.contact_save(
            organizer=self.organizer,
            data=dict(serializer.validated_data),
            actor=self.request.auth or self.request.user,
            consent_source=Contact.ConsentSource.API,
        )

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = contact_services.contact_save(
            organizer=self.organizer,
            contact=serializer.instance,
            data=dict(serializer.validated_data),
            actor=self.request.auth or self.request.user,
            consent_source=Contact.ConsentSource.API,
        )

    def perform_destroy(self, instance: Contact) -> None:
        contact_services.contact_delete(contact=instance, actor=self.request.auth or self.request.user)


class SegmentViewSet(OrganizerViewMixin, viewsets.ModelViewSet):
    """Saved filters. ``size`` (the number of matching contacts) is given by the detail only;
    like the contacts list's ``count`` it is exact up to 1,000 and estimated above
    (``size_exact``)."""

    permission = READ_PERMISSION
    write_permission = WRITE_PERMISSION
    serializer_class = SegmentSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Segment]:
        return Segment.objects.filter(organizer=self.organizer)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        segment = self.get_object()
        form = ContactFilterForm(segment.filters, organizer=self.organizer)
        size = contacts_size(organizer=self.organizer, criteria=form.criteria()) if form.is_valid() else None
        serializer = self.get_serializer(
            segment, context={**self.get_serializer_context(), "sizes": {segment.pk: size}}
        )
        return Response(serializer.data)

    def _filters(self, serializer: serializers.BaseSerializer) -> dict[str, Any]:
        form = ContactFilterForm(serializer.validated_data.get("filters", {}), organizer=self.organizer)
        if not form.is_valid():
            raise exceptions.ValidationError(
                {f"filters.{name}": [str(m) for m in errors] for name, errors in form.errors.items()}
            )
        return form.stored()

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = contact_services.segment_save(
            organizer=self.organizer,
            name=serializer.validated_data["name"],
            filters=self._filters(serializer),
            actor=self.request.auth or self.request.user,
        )

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        assert serializer.instance is not None
        serializer.instance = contact_services.segment_save(
            organizer=self.organizer,
            segment=serializer.instance,
            name=serializer.validated_data.get("name", serializer.instance.name),
            filters=self._filters(serializer)
            if "filters" in serializer.validated_data
            else serializer.instance.filters,
            actor=self.request.auth or self.request.user,
        )

    def perform_destroy(self, instance: Segment) -> None:
        contact_services.segment_delete(segment=instance, actor=self.request.auth or self.request.user)
