"""Finding contacts: one query interface, the database implementation shipped.

Views, the API and segments describe what they want as :class:`ContactCriteria` (built by
``ContactFilterForm``) and ask :func:`contact_query` for the matching contacts. The shipped
:class:`DatabaseContactQuery` answers with the ORM: on PostgreSQL through the indexes of
migrations 0001, 0002 and 0010 (lower-cased columns, a JSONB GIN index on the custom fields, a
GIN index on the stored search vector), on SQLite with plain scans. An installation that
outgrows PostgreSQL points the ``CAMPAIGNS_CONTACT_QUERY`` setting at a class with the same
methods backed by a search engine.

Every sort column has an index ``(organizer, column, id)``: a sorted page (ties broken by id)
walks it and stops after the page, whatever the number of matches. Counting cannot stop early,
so what the API and the pages show is :func:`contacts_size`: exact up to
:data:`COUNT_EXACT_UP_TO`, PostgreSQL's estimate above (flagged as such).

On PostgreSQL the tag and attended-event filters read lists on the contact row
(``tag_ids``, ``attended_event_ids``: migration 0011, kept by triggers, GIN-indexed): two weak
filters with a small intersection (a tag of 6,700 contacts, an event of 6,000 attendees, 40 in
both) become one bitmap AND of two indexes instead of reading both membership tables. The
other membership filters (bought product, registration dates), when two or more apply, are
answered by intersecting their contact ids (``INTERSECT``, one hash over each set), instead of
probing the second filter's index once per contact of the first (``bench/contacts.py``).

A search under a sort depends on the planner's estimate of the prefix: migration 0011 keeps
statistics of 10,000 lexemes of the search vector, so a rare prefix (``first123``: 1,100
contacts) is answered by sorting its GIN matches and a common one (``smith``: 125,000) by
walking the sort index until a page is full.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Protocol

from django.conf import settings
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import BooleanField, Exists, Expression, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.module_loading import import_string

from eventyay.base.models import Event, Organizer
from eventyay_campaigns.models import SEARCH_FIELDS, Contact, ContactEvent, ContactProduct, ContactTag, Tag
from eventyay_campaigns.models.contacts import SORT_COLUMNS

#: Columns ``sort_by`` accepts, each optionally preceded by ``-`` for descending order.
SORT_FIELDS = ("id", *SORT_COLUMNS)
DEFAULT_SORT = "last_name"
#: Sizes up to this are counted exactly; larger ones are estimated (see :class:`ContactCount`).
COUNT_EXACT_UP_TO = 1_000
#: Words of a search beyond this are ignored.
SEARCH_WORDS_MAX = 8
#: What a search term of PostgreSQL is made of: runs of letters and digits. Everything else
#: (quotes, ``&``, ``:``, ``@``, dots) separates terms, as PostgreSQL's parser separates the
#: words of the stored vector, so no input is read as tsquery syntax.
SEARCH_TERM = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class ContactCriteria:
    """What to look for; empty values do not filter."""

    company: str = ""
    job_title: str = ""
    city: str = ""
    state: str = ""
    country: str = ""
    tag: str = ""
    marketing_consent: bool | None = None
    events_attended_min: int | None = None
    events_attended_max: int | None = None
    events_hosted_min: int | None = None
    attended_event: Event | None = None
    bought_product: int | None = None
    registered_from: dt.date | None = None
    registered_to: dt.date | None = None
    search: str = ""
    #: Custom field key to cleaned value.
    custom_fields: dict[str, Any] = field(default_factory=dict)
    sort_by: str = DEFAULT_SORT


@dataclass(frozen=True)
class ContactCount:
    """How many contacts match: exact, or (``exact`` false) an estimate above the exact range."""

    value: int
    exact: bool


class ContactQuery(Protocol):
    def contacts(self, *, organizer: Organizer, criteria: ContactCriteria) -> QuerySet[Contact]:
        """The matching contacts, sorted by ``criteria.sort_by`` (ties by id)."""

    def count(self, *, organizer: Organizer, criteria: ContactCriteria) -> int:
        """How many contacts match, exactly (reads every match: use for small sets or jobs)."""

    def size(self, *, organizer: Organizer, criteria: ContactCriteria) -> ContactCount:
        """How many contacts match, for display: exact up to :data:`COUNT_EXACT_UP_TO`."""


class DatabaseContactQuery:
    """The ORM implementation, for PostgreSQL (indexed) and SQLite."""

    def contacts(self, *, organizer: Organizer, criteria: ContactCriteria) -> QuerySet[Contact]:
        queryset = self._filtered(organizer=organizer, criteria=criteria)
        descending = criteria.sort_by.startswith("-")
        column = criteria.sort_by.lstrip("-")
        tie = "-id" if descending else "id"
        return queryset.order_by(criteria.sort_by, tie) if column != "id" else queryset.order_by(tie)

    def count(self, *, organizer: Organizer, criteria: ContactCriteria) -> int:
        return self._filtered(organizer=organizer, criteria=criteria).count()

    def size(self, *, organizer: Organizer, criteria: ContactCriteria) -> ContactCount:
        queryset = self._filtered(organizer=organizer, criteria=criteria).order_by()
        if connection.vendor != "postgresql":
            # SQLite installations are small; their exact count is cheap enough.
            return ContactCount(queryset.count(), exact=True)
        # ``count(*)`` over ``LIMIT n + 1``: the planner picks a plan that stops after n + 1
        # matches, where a plain count of a million rows reads them all.
        capped = queryset[: COUNT_EXACT_UP_TO + 1].count()
        if capped <= COUNT_EXACT_UP_TO:
            return ContactCount(capped, exact=True)
        plan = json.loads(queryset.explain(format="json"))
        estimate = int(plan[0]["Plan"]["Plan Rows"])
        return ContactCount(max(estimate, COUNT_EXACT_UP_TO + 1), exact=False)

    def _filtered(self, *, organizer: Organizer, criteria: ContactCriteria) -> QuerySet[Contact]:
        queryset: QuerySet[Contact] = Contact.objects.filter(organizer=organizer)
        for name in ("company", "job_title", "city", "state"):
            value = getattr(criteria, name)
            if value:
                # Compared lower-cased, as indexed: ``Lower(column) = lower(value)``.
                queryset = queryset.alias(**{f"{name}_key": Lower(name)}).filter(
                    **{f"{name}_key": value.lower()}
                )
        if criteria.country:
            queryset = queryset.filter(country=criteria.country.upper())
        if criteria.marketing_consent is not None:
            queryset = queryset.filter(marketing_consent=criteria.marketing_consent)
        if criteria.events_attended_min is not None:
            queryset = queryset.filter(events_attended__gte=criteria.events_attended_min)
        if criteria.events_attended_max is not None:
            queryset = queryset.filter(events_attended__lte=criteria.events_attended_max)
        if criteria.events_hosted_min is not None:
            queryset = queryset.filter(events_hosted__gte=criteria.events_hosted_min)
        if connection.vendor == "postgresql":
            queryset, criteria = _listed_memberships(queryset, organizer=organizer, criteria=criteria)
        members = _memberships(organizer=organizer, criteria=criteria)
        if len(members) > 1 and connection.vendor == "postgresql":
            queryset = queryset.filter(pk__in=members[0].intersection(*members[1:]))
        else:
            for member in members:
                queryset = queryset.filter(Exists(member.filter(contact=OuterRef("pk"))))
        for key, value in criteria.custom_fields.items():
            if connection.vendor == "postgresql":
                # ``@>`` is answered by the GIN index on custom_fields.
                queryset = queryset.filter(custom_fields__contains={key: value})
            else:
                queryset = queryset.filter(**{f"custom_fields__{key}": value})
        if criteria.search:
            queryset = self._search(queryset, criteria.search)
        return queryset

    def _search(self, queryset: QuerySet[Contact], text: str) -> QuerySet[Contact]:
        if connection.vendor == "postgresql":
            terms = search_terms(text)
            if not terms:
                return queryset.none()
            # The GIN index on the stored vector (migration 0010) answers ``@@`` directly.
            query = SearchQuery(" & ".join(f"{term}:*" for term in terms), search_type="raw", config="simple")
            return queryset.filter(search_vector=query)
        for word in [w for w in re.split(r"\s+", text.strip()) if w][:SEARCH_WORDS_MAX]:
            condition = Q()
            for name in SEARCH_FIELDS:
                condition |= Q(**{f"{name}__icontains": word})
            queryset = queryset.filter(condition)
        return queryset


class MembershipContains(Expression):
    """``column @> ARRAY[id]`` on a contact's membership list (migration 0011, PostgreSQL).

    The lists are columns of the table but not model fields (Django never writes them), so the
    column is named here; the table's alias follows the query when it is relabeled, as when
    the contacts are a subquery of a campaign's audience.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, column: str, value: int, alias: str | None = None) -> None:
        super().__init__()
        self.column, self.value, self.alias = column, value, alias

    def resolve_expression(self, query: Any = None, *args: Any, **kwargs: Any) -> MembershipContains:
        return MembershipContains(self.column, self.value, query.get_initial_alias())

    def relabeled_clone(self, change_map: Mapping[str, str]) -> MembershipContains:
        alias = change_map.get(self.alias, self.alias) if self.alias is not None else None
        return MembershipContains(self.column, self.value, alias)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        assert self.alias is not None and self.column in MEMBERSHIP_LISTS
        quote = compiler.quote_name_unless_alias
        return f"{quote(self.alias)}.{quote(self.column)} @> ARRAY[%s]::bigint[]", [self.value]

    def get_group_by_cols(self) -> list[Any]:
        return []


#: Membership lists on the contact row (PostgreSQL, migration 0011).
MEMBERSHIP_LISTS = ("tag_ids", "attended_event_ids")


def _listed_memberships(
    queryset: QuerySet[Contact], *, organizer: Organizer, criteria: ContactCriteria
) -> tuple[QuerySet[Contact], ContactCriteria]:
    """Answer the tag and attended-event filters from the lists on the contact row.

    Returns the filtered contacts and the criteria left for the membership tables. The tag is
    looked up by name first: the planner then knows which id it filters for and how many
    contacts carry it (the column's element statistics).
    """
    if criteria.tag:
        tag_id = (
            Tag.objects.alias(name_key=Lower("name"))
            .filter(organizer=organizer, name_key=criteria.tag.lower())
            .values_list("pk", flat=True)
            .first()
        )
        if tag_id is None:
            return queryset.none(), criteria
        queryset = queryset.filter(MembershipContains("tag_ids", tag_id))
    if criteria.attended_event is not None:
        queryset = queryset.filter(MembershipContains("attended_event_ids", criteria.attended_event.pk))
    return queryset, replace(criteria, tag="", attended_event=None)


def _memberships(*, organizer: Organizer, criteria: ContactCriteria) -> list[QuerySet[Any]]:
    """The contact ids of each membership filter in ``criteria``, as unsorted subqueries."""
    members: list[QuerySet[Any]] = []
    if criteria.tag:
        # Lower-cased like the unique index on (organizer, lower(name)). The base manager: the
        # scoped one would join every tagged contact again to check its organizer, which the
        # outer query and the tag already fix.
        members.append(
            ContactTag._base_manager.alias(tag_key=Lower("tag__name")).filter(
                tag__organizer=organizer, tag_key=criteria.tag.lower()
            )
        )
    if criteria.attended_event is not None:
        members.append(
            ContactEvent.objects.filter(event=criteria.attended_event, kind=ContactEvent.Kind.ATTENDED)
        )
    if criteria.bought_product is not None:
        members.append(ContactProduct.objects.filter(organizer=organizer, product_id=criteria.bought_product))
    if criteria.registered_from is not None or criteria.registered_to is not None:
        registrations = ContactEvent.objects.filter(organizer=organizer, kind=ContactEvent.Kind.REGISTERED)
        if criteria.registered_from is not None:
            registrations = registrations.filter(created__gte=_day_start(criteria.registered_from))
        if criteria.registered_to is not None:
            registrations = registrations.filter(
                created__lt=_day_start(criteria.registered_to + dt.timedelta(days=1))
            )
        members.append(registrations)
    return [member.order_by().values("contact_id") for member in members]


def search_terms(text: str) -> list[str]:
    """The prefix terms of a PostgreSQL search, lower-cased: every one must match (AND).

    ``"john smi"`` gives ``["john", "smi"]`` (found: John Smith); ``"o'brien"`` gives ``["o",
    "brien"]``, the words PostgreSQL stores for O'Brien.
    """
    return [term.lower() for term in SEARCH_TERM.findall(text)][:SEARCH_WORDS_MAX]


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@lru_cache(maxsize=1)
def _backend_class(path: str) -> type[ContactQuery]:
    return import_string(path)


def contact_query() -> ContactQuery:
    """The configured implementation (setting ``CAMPAIGNS_CONTACT_QUERY``, a dotted path)."""
    path = getattr(settings, "CAMPAIGNS_CONTACT_QUERY", "eventyay_campaigns.selectors.DatabaseContactQuery")
    return _backend_class(path)()


def contacts_matching(*, organizer: Organizer, criteria: ContactCriteria) -> QuerySet[Contact]:
    return contact_query().contacts(organizer=organizer, criteria=criteria)


def contacts_count(*, organizer: Organizer, criteria: ContactCriteria) -> int:
    """The exact number of matches (reads all of them; :func:`contacts_size` for display)."""
    return contact_query().count(organizer=organizer, criteria=criteria)


def contacts_size(*, organizer: Organizer, criteria: ContactCriteria) -> ContactCount:
    """The number of matches as pages and the API show it: exact, or estimated when large."""
    return contact_query().size(organizer=organizer, criteria=criteria)


def contact_history(*, contact: Contact) -> QuerySet[ContactEvent]:
    return contact.history.select_related("event").order_by("-created", "-id")
