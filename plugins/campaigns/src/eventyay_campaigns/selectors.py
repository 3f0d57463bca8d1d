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

A search under a sort on PostgreSQL does not rely on the planner's estimate of the prefix
alone (a prefix of many names each too rare for the statistics is estimated at a few dozen,
and a common prefix whose matches all sort late looks cheap to walk): the first contacts of
the sort order are tested first, and the page is then either walked along the sort index or
collected from the GIN index and sorted (:meth:`DatabaseContactQuery._searched`). The size of
a search is proven above the exact range by reading contacts until enough match, instead of
building the GIN bitmap of every match.

When the sort column is itself searched (names, email, company: ``smith`` by last name, the
list's default order) and the database orders text by code point, the lowest and highest
value of the sort column among the matches is found first
(:meth:`DatabaseContactQuery._search_bound`): the contacts whose column begins with the term
lie in one range of its sort index, and the other matches carry the term in a word of
``search_rest`` (migration 0015), which are few or none. The walk then starts at the first
contact that can match instead of the first contact of the list.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache, partial
from typing import Any, Protocol, Self, cast

from django.conf import settings
from django.contrib.postgres.search import SearchQuery
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, Exists, Expression, F, Field, OrderBy, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.module_loading import import_string

from eventyay.base.models import Event, Organizer
from eventyay.plugin_api import local_setting
from eventyay_campaigns.models import SEARCH_FIELDS, Contact, ContactEvent, ContactProduct, ContactTag, Tag
from eventyay_campaigns.models.contacts import SORT_COLUMNS

#: Columns ``sort_by`` accepts, each optionally preceded by ``-`` for descending order.
SORT_FIELDS = ("id", *SORT_COLUMNS)
DEFAULT_SORT = "last_name"
#: Sizes up to this are counted exactly; larger ones are estimated (see :class:`ContactCount`).
COUNT_EXACT_UP_TO = 1_000
#: Words of a search beyond this are ignored.
SEARCH_WORDS_MAX = 8
#: A search under a sort first reads this many contacts of the sort order (one primary-key
#: lookup each) looking for a page of :data:`SEARCH_WALK_FOUND` matches, to choose its plan
#: (see :meth:`DatabaseContactQuery._searched`).
SEARCH_WALK_ROWS = 1_000
SEARCH_WALK_FOUND = 50
#: Within the bound of the sort column, a page whose walk is expected to read at most this many
#: contacts walks, when the term has more matches than that.
SEARCH_WALK_BOUNDED_ROWS = 20_000
#: The size of a search that the planner estimates large is proven larger than
#: :data:`COUNT_EXACT_UP_TO` by reading at most SIZE_WALK_ROWS contacts of the other filters
#: (so a search that one in twenty of them matches, or more), when that is expected to read at
#: most SIZE_WALK_READS contacts of the organizer (a search that one in 150 matches).
SIZE_WALK_ROWS = 20_000
SIZE_WALK_READS = 150_000
#: When the planner estimates a search within the exact range, the organizer's first
#: SIZE_PROBE_ROWS contacts are tested with every filter before it is counted: a prefix of many
#: names each too rare for the statistics (``first1``, or ``an`` as a user types it) is
#: estimated far too low, and its count builds a GIN bitmap of every match.
SIZE_PROBE_ROWS = 1_000
#: When the other filters of a search leave at most this many contacts (as estimated), the
#: search is tested on each of them rather than answered by the GIN index.
SEARCH_ROWS_TESTED = 5_000
#: Up to SIZE_WALK_ROWS of them are tested, rather than answered by the GIN index, when this
#: many times their number is fewer than the search's own matches (see :func:`_test_one_by_one`).
TESTED_ROW_COST = 4
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
    def contacts(
        self, *, organizer: Organizer, criteria: ContactCriteria, ordered: bool = True
    ) -> QuerySet[Contact]:
        """The matching contacts, sorted by ``criteria.sort_by`` (ties by id); in no particular
        order when ``ordered`` is false (a set: a campaign's recipients, a rule's condition)."""

    def count(self, *, organizer: Organizer, criteria: ContactCriteria) -> int:
        """How many contacts match, exactly (reads every match: use for small sets or jobs)."""

    def size(self, *, organizer: Organizer, criteria: ContactCriteria) -> ContactCount:
        """How many contacts match, for display: exact up to :data:`COUNT_EXACT_UP_TO`."""


class DatabaseContactQuery:
    """The ORM implementation, for PostgreSQL (indexed) and SQLite."""

    def contacts(
        self, *, organizer: Organizer, criteria: ContactCriteria, ordered: bool = True
    ) -> QuerySet[Contact]:
        if not ordered:
            # No page to find, so no plan to choose: the search is answered by the GIN index.
            return self._filtered(organizer=organizer, criteria=criteria).order_by()
        ordering = _ordering(criteria.sort_by)
        if criteria.search and connection.vendor == "postgresql":
            return self._searched(organizer=organizer, criteria=criteria, ordering=ordering)
        return self._filtered(organizer=organizer, criteria=criteria).order_by(*ordering)

    def count(self, *, organizer: Organizer, criteria: ContactCriteria) -> int:
        return self._filtered(organizer=organizer, criteria=criteria).count()

    def size(self, *, organizer: Organizer, criteria: ContactCriteria) -> ContactCount:
        queryset = self._filtered(organizer=organizer, criteria=criteria).order_by()
        if connection.vendor != "postgresql":
            # SQLite installations are small; their exact count is cheap enough.
            return ContactCount(queryset.count(), exact=True)
        estimate: int | None = None
        terms = search_terms(criteria.search)
        if terms:
            # The search's GIN bitmap is built whole whatever the LIMIT below (125,000 entries
            # for ``smith``, 60 to 120 ms at a million contacts). When the other filters leave
            # few contacts, the search is tested on each of them instead; when the planner
            # expects many matches (or the organizer's first contacts show many), they are
            # proven by reading contacts of the other filters until COUNT_EXACT_UP_TO + 1 match
            # (a few thousand rows for a prefix that one contact in ten has), giving up after
            # SIZE_WALK_ROWS. Only a count or a proof makes the size an estimate, so a size up to
            # COUNT_EXACT_UP_TO stays exact.
            others = self._filtered(organizer=organizer, criteria=replace(criteria, search="")).order_by()
            walk = _walk_plan(others[:SIZE_WALK_ROWS])
            candidates = walk.rows
            if _test_one_by_one(candidates, searched=lambda: _search_alone(organizer, terms)):
                tested = _tested(others[:SIZE_WALK_ROWS], terms)
                if tested is not None:
                    return ContactCount(tested.matched, exact=tested.matched <= COUNT_EXACT_UP_TO)
            estimate = _estimate(queryset)
            wanted = COUNT_EXACT_UP_TO + 1
            contacts = _estimate(Contact.objects.filter(organizer=organizer).order_by())
            expected = estimate
            if estimate <= COUNT_EXACT_UP_TO and contacts > SIZE_PROBE_ROWS:
                # The probe decides the plan only; the size shown stays the planner's estimate,
                # as the first contacts need not be like the rest.
                probe = (
                    Contact.objects.filter(organizer=organizer).order_by("pk").values("pk")[:SIZE_PROBE_ROWS]
                )
                probed = _matching(others.filter(pk__in=probe), terms, wanted=SIZE_PROBE_ROWS)
                expected = max(expected, probed * contacts // SIZE_PROBE_ROWS)
            if _proof_pays(expected, candidates=candidates, contacts=contacts, sequential=walk.sequential):
                with _scans_from_the_first_page():
                    proven = _matching(others[:SIZE_WALK_ROWS], terms, wanted=wanted) >= wanted
                if proven:
                    return ContactCount(max(estimate, wanted), exact=False)
        # ``count(*)`` over ``LIMIT n + 1``: the planner picks a plan that stops after n + 1
        # matches, where a plain count of a million rows reads them all.
        with _scans_from_the_first_page():
            capped = queryset[: COUNT_EXACT_UP_TO + 1].count()
        if capped <= COUNT_EXACT_UP_TO:
            return ContactCount(capped, exact=True)
        if estimate is None:
            estimate = _estimate(queryset)
        return ContactCount(max(estimate, COUNT_EXACT_UP_TO + 1), exact=False)

    def _searched(
        self, *, organizer: Organizer, criteria: ContactCriteria, ordering: list[OrderBy]
    ) -> QuerySet[Contact]:
        """A search under a sort on PostgreSQL, in the plan form that a bounded walk chose.

        Two plans answer it, and the planner's estimate of a prefix cannot tell which is
        cheap: walking the sort index and testing each contact's vector costs the number of
        contacts before the page's last match (few when matches are spread over the order,
        875,000 for ``smith`` by last name, whose matches all sort late), collecting the
        matches through the GIN index and sorting them costs the number of matches (111,000
        for ``first1``, whose names are each too rare for the statistics, so it is estimated
        at 58). So the first SEARCH_WALK_ROWS contacts of the sort order are tested with all
        filters: when a page of them matches, or the walk to a page, extrapolated from what
        was found, is shorter than the planner's estimate of the matches, the page is given
        by walking the sort index (the search made a row test, :class:`RowSearch`);
        otherwise it is sorted (the order made an expression no index has) from the contacts
        of the other filters, each tested, when they are few, else from the GIN matches.
        All forms give the same rows in the same order; only the plan differs.
        """
        terms = search_terms(criteria.search)
        if not terms:
            return Contact.objects.none()
        others = self._filtered(organizer=organizer, criteria=replace(criteria, search=""))
        query = _tsquery(terms)
        # The first contacts of the organizer in the sort order (an index-only read of the sort
        # index), whatever the other filters: the walk is bounded in contacts read, also when
        # the other filters pass few of them. When the bound of the sort column is known (the
        # first and last Smith for ``smith`` by last name), the walk and a walked page start
        # at the first contact that can match.
        organizers: QuerySet[Contact] = Contact.objects.filter(organizer=organizer)
        walked_others = others
        bound = self._search_bound(
            organizer=organizer, others=others, terms=terms, column=criteria.sort_by.lstrip("-")
        )
        if bound is not None:
            walked_others, organizers = bound.apply(others), bound.apply(organizers)
        walk = organizers.order_by(*ordering).values("pk")[:SEARCH_WALK_ROWS]
        found = _matching(walked_others.filter(pk__in=walk).order_by(), terms, wanted=SEARCH_WALK_FOUND)
        if found >= SEARCH_WALK_FOUND:
            return walked_others.filter(RowSearch(query)).order_by(*ordering)
        # Fewer than a page found: the walk of the whole page would read about
        # SEARCH_WALK_FOUND * SEARCH_WALK_ROWS / found contacts (twice that when none was
        # found), an extrapolation.
        walked = SEARCH_WALK_FOUND * SEARCH_WALK_ROWS / max(found, 0.5)
        unindexed = [_unindexed(order) for order in ordering]
        candidates = _estimate(others)
        # Planned once, when a rule below needs it.
        searched = cache(partial(_search_alone, organizer, terms))
        if candidates < walked and _test_one_by_one(candidates, searched=searched):
            # Few contacts pass the other filters (``city=City5``: 2,000; ``tag=tag3``: 6,800
            # against 125,000 Smiths): the search tested on each of them costs less than the GIN
            # bitmap of a common prefix, which the planner takes for cheap, and than the walk.
            return others.filter(RowSearch(query)).order_by(*unindexed)
        # The GIN plan reads the matches (the planner's estimate) after building the bitmap of
        # every contact the search alone matches, a quarter of a contact's test per entry
        # (``miller`` among the 75,000 Japanese who did not consent: 125,000 entries, 34 ms,
        # for 9,500 matches; the walk, about 12,000 contacts).
        if walked < _estimate(walked_others.filter(search_vector=query)) + searched() / TESTED_ROW_COST:
            return walked_others.filter(RowSearch(query)).order_by(*ordering)
        if bound is not None and walked < min(
            SEARCH_WALK_BOUNDED_ROWS, _estimate(organizers.filter(search_vector=query))
        ):
            # Within the bound, the matches are sparse but near (``silva`` among Brazilian
            # contacts who consented: one Silva in 40 of them): a walk of a few thousand
            # contacts, where the GIN plan builds the bitmap of every Silva (125,000) first.
            return walked_others.filter(RowSearch(query)).order_by(*ordering)
        return others.filter(search_vector=query).order_by(*unindexed)

    def _search_bound(
        self, *, organizer: Organizer, others: QuerySet[Contact], terms: list[str], column: str
    ) -> SortBound | None:
        """The lowest and highest value of ``column`` among the contacts of ``others`` that
        match the search ``terms``, or None when it cannot be known cheaply.

        Only for a searched column in a database whose collation orders by code point. A
        contact matches a term through a word of its vector; either that word begins one of
        the searched columns as written, in one of the three forms of
        :func:`_case_forms` (then the column begins with the term in that form: a range of
        its sort index), or it is in ``search_rest`` (migration 0015, GIN-indexed). The ranges
        of ``column`` give their lowest and highest entry through its sort index, whatever
        their size; when they hold a contact, the organizer's contacts found through the other
        columns' ranges and ``search_rest`` are read, if there are at most
        :data:`SEARCH_ROWS_TESTED` of them, and tested with the other filters.
        """
        if column not in SEARCH_FIELDS or connection.vendor != "postgresql" or not _codepoint_order():
            return None
        term = max(terms, key=len)
        forms = _case_forms(term)
        prefixes = [bounds for form in forms if (bounds := _prefix_bounds(form)) is not None]
        if len(prefixes) < len(forms):
            return None
        ranges = {name: [ValueRange(name, low, high) for low, high in prefixes] for name in SEARCH_FIELDS}
        # No contact's column begins with the term: every match carries it elsewhere, and the
        # bound would cost a read of them all, as much as the GIN plan that sorts them.
        ends = _range_ends(organizer, column, ranges[column])
        if not ends:
            return None
        rest = Q(RestSearch(_tsquery([term])))
        beginnings = Q(
            InRanges([bounds for name in SEARCH_FIELDS if name != column for bounds in ranges[name]])
        )
        # The planner's estimate of the ranges is good (histograms). For ``search_rest`` it
        # extrapolates from the most common words when ANALYZE found at least 100 (a real
        # vocabulary); with fewer, it takes 2 % of the contacts whatever the term (the
        # benchmark's contacts all have the words ``example`` and ``org`` there and nothing
        # else). Then the organizer's contacts found through those indexes are read, at most
        # SEARCH_ROWS_TESTED + 1 of them, and the other filters tested on them. Read together
        # with the other filters, the guess of 2 % made an index of those filters look
        # cheaper (all 25,000 Brazilians who consented, read for none found).
        organizers: QuerySet[Contact] = Contact.objects.filter(organizer=organizer).order_by()
        if _estimate(organizers.filter(beginnings)) > SEARCH_ROWS_TESTED:
            return None
        if _estimate(organizers.filter(rest)) > SEARCH_ROWS_TESTED and _rest_statistics_known():
            return None
        elsewhere = list(
            organizers.filter(beginnings | rest).values_list("pk", flat=True)[: SEARCH_ROWS_TESTED + 1]
        )
        if len(elsewhere) > SEARCH_ROWS_TESTED:
            return None
        found = (
            _tested(others.filter(pk__in=elsewhere).order_by()[: SEARCH_ROWS_TESTED + 1], terms, column)
            if elsewhere
            else Tested(0)
        )
        if found is None:
            return None
        values = [*ends, *(value for value in (found.low, found.high) if value is not None)]
        return SortBound(column, min(values), max(values))

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
            return queryset.filter(search_vector=_tsquery(terms))
        for word in [w for w in re.split(r"\s+", text.strip()) if w][:SEARCH_WORDS_MAX]:
            condition = Q()
            for name in SEARCH_FIELDS:
                condition |= Q(**{f"{name}__icontains": word})
            queryset = queryset.filter(condition)
        return queryset


class _RowCondition(Expression):
    """A condition on columns of the contact row, written out as SQL. The table's alias
    follows the query when it is relabeled (as when the contacts are a subquery)."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, alias: str | None = None) -> None:
        super().__init__()
        self.alias = alias

    def _aliased(self, alias: str | None) -> Self:
        clone = copy.copy(self)
        clone.alias = alias
        return clone

    def resolve_expression(self, query: Any = None, *args: Any, **kwargs: Any) -> Self:
        return self._aliased(query.get_initial_alias())

    def relabeled_clone(self, change_map: Mapping[str, str]) -> Self:
        return self._aliased(change_map.get(self.alias, self.alias) if self.alias is not None else None)

    def _table(self, compiler: Any) -> str:
        assert self.alias is not None
        return str(compiler.quote_name_unless_alias(self.alias))

    def get_group_by_cols(self) -> list[Any]:
        return []


@dataclass(frozen=True)
class SortBound:
    """Values of a sort column between which every match of a search lies."""

    column: str
    low: str
    high: str

    def apply(self, queryset: QuerySet[Contact]) -> QuerySet[Contact]:
        return queryset.filter(InRanges([ValueRange(self.column, self.low, self.high, closed=True)]))


@dataclass(frozen=True)
class ValueRange:
    """The values of a text column from ``low`` to ``high``: ``high`` itself only when
    ``closed``."""

    column: str
    low: str
    high: str
    closed: bool = False


class InRanges(_RowCondition):
    """Rows whose column lies in one of ``ranges``: ``(column >= low AND column < high) OR ...``.

    Written out directly rather than as lookups: a search's bound tests twelve ranges (four
    columns, three forms of the term), and resolving their lookups took the ORM longer than
    PostgreSQL takes to plan them.
    """

    def __init__(self, ranges: list[ValueRange], alias: str | None = None) -> None:
        super().__init__(alias)
        self.ranges = ranges

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if not self.ranges:
            raise EmptyResultSet
        table = self._table(compiler)
        conditions: list[str] = []
        params: list[Any] = []
        for bounds in self.ranges:
            column = f"{table}.{_quoted_column(bounds.column)}"
            conditions.append(f"({column} >= %s AND {column} {'<=' if bounds.closed else '<'} %s)")
            params.extend((bounds.low, bounds.high))
        return f"({' OR '.join(conditions)})", params


def _case_forms(term: str) -> list[str]:
    """The forms of a lower-case search term that a column written by people begins with:
    as is, upper case, and with a capital first letter (``smith``, ``SMITH``, ``Smith``), as
    migration 0015 computes them for the words it leaves out of ``search_rest``. Outside
    ASCII the database computes them, as its case mapping may differ from Python's."""
    if term.isascii():
        forms = [term, term.upper(), term[:1].upper() + term[1:]]
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT lower(%s), upper(lower(%s)), upper(left(lower(%s), 1)) || substr(lower(%s), 2)",
                [term] * 4,
            )
            row = cursor.fetchone()
        assert row is not None
        forms = list(row)
    return list(dict.fromkeys(forms))


def _prefix_bounds(prefix: str) -> tuple[str, str] | None:
    """The texts that begin with ``prefix``, as a range of a sort index: ``[prefix, successor)``,
    where the successor raises the last character by one (in an order by code point, every
    text that begins with the prefix lies between the two, and nothing else). None when the
    last character has no successor."""
    last = ord(prefix[-1]) + 1
    if 0xD800 <= last <= 0xDFFF:
        last = 0xE000  # surrogates are not characters of a text
    if last > 0x10FFFF:
        return None
    return prefix, prefix[:-1] + chr(last)


#: The planner estimates a prefix from a vector column's statistics only with at least this
#: many most common words (PostgreSQL's ``tsmatchsel``); with fewer it takes a fixed 2 %.
PREFIX_STATISTICS_MIN_WORDS = 100


def _rest_statistics_known() -> bool:
    """Whether ANALYZE kept enough words of ``search_rest`` for the planner to estimate a
    prefix (else its estimate is a constant, and the matches are counted instead)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(array_length(most_common_elems::text::text[], 1), 0) FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = 'eventyay_campaigns_contact' "
            "AND attname = 'search_rest'"
        )
        row = cursor.fetchone()
    return row is not None and row[0] >= PREFIX_STATISTICS_MIN_WORDS


#: Collations (``datcollate`` of the libc provider) whose order is that of the code points.
CODEPOINT_COLLATIONS = frozenset({"c", "posix", "c.utf8", "c.utf-8"})


def _codepoint_order() -> bool:
    """Whether the database orders text by code point, so that the texts beginning with a
    prefix form one range of an index (:func:`_prefix_bounds`)."""
    return _database_codepoint_order(connection.settings_dict["NAME"])


@lru_cache(maxsize=8)
def _database_codepoint_order(name: str) -> bool:
    # ``datlocprovider`` exists from PostgreSQL 15; before, every database used libc.
    provider = "datlocprovider" if cast(Any, connection).pg_version >= 150000 else "'c'"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT datcollate, {provider}::text FROM pg_database WHERE datname = current_database()"
        )
        row = cursor.fetchone()
    if row is None:
        return False
    collate, provider = row
    # The builtin provider (PostgreSQL 17) knows only C and C.UTF-8, both by code point.
    return provider == "b" or (provider == "c" and collate.lower() in CODEPOINT_COLLATIONS)


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


class _VectorSearch(_RowCondition):
    """A search on a vector column of the contact row."""

    def __init__(self, query: SearchQuery, alias: str | None = None) -> None:
        super().__init__(alias)
        self.query = query

    def resolve_expression(self, query: Any = None, *args: Any, **kwargs: Any) -> Self:
        resolved = super().resolve_expression(query, *args, **kwargs)
        resolved.query = self.query.resolve_expression(query, *args, **kwargs)
        return resolved

    def _compiled(self, compiler: Any, column: str) -> tuple[str, str, list[Any]]:
        query, params = compiler.compile(self.query)
        return f"{self._table(compiler)}.{column}", query, list(params)


class RowSearch(_VectorSearch):
    """A search tested on each row of a sorted query: ``ts_match_vq(vector, query)``.

    The function behind ``@@``, so equal to ``search_vector @@ query`` for every row, but no
    index answers a function call, and the planner, which has no statistics for it, takes a
    third of the contacts as matching: it then reads the contacts in the order of the sort
    index and stops after the page, which it would not do for a prefix it estimates rare. In
    a query without an order (a count, an ``IN`` subquery, the recipients of a campaign) it
    is the indexed ``search_vector @@ query``, which reads the matches only.
    """

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        column, query, params = self._compiled(compiler, "search_vector")
        if not compiler.query.order_by:
            return f"{column} @@ {query}", params
        return f"ts_match_vq({column}, {query})", params


class RestSearch(_VectorSearch):
    """``search_rest @@ query``: the contacts that carry a term in a word that begins none of
    the searched columns (migration 0015, GIN-indexed; PostgreSQL)."""

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        column, query, params = self._compiled(compiler, "search_rest")
        return f"{column} @@ {query}", params


def _ordering(sort_by: str) -> list[OrderBy]:
    """``sort_by`` with ties broken by id in the same direction, as the sort indexes hold it."""
    descending = sort_by.startswith("-")
    column = sort_by.lstrip("-")
    columns = [column, "id"] if column != "id" else ["id"]
    return [OrderBy(F(name), descending=descending) for name in columns]


def _unindexed(order: OrderBy) -> OrderBy:
    """The same order by ``coalesce(column, column)``, which no index holds (the columns are
    NOT NULL, so the value is the column's): the planner then sorts the matches it collected
    instead of walking a sort index."""
    return OrderBy(Coalesce(order.expression, order.expression), descending=order.descending)


def _tsquery(terms: list[str]) -> SearchQuery:
    """Every term as a prefix (``smith:*``); the terms hold letters and digits only."""
    return SearchQuery(_prefix_query_text(terms), search_type="raw", config="simple")


def _prefix_query_text(terms: list[str]) -> str:
    """The tsquery text of the search: every term as a prefix, all required."""
    return " & ".join(f"{term}:*" for term in terms)


@contextmanager
def _scans_from_the_first_page() -> Iterator[None]:
    """Sequential scans of the block start at the table's first page (PostgreSQL).

    For reads that stop early and may scan the table in its order (a count over ``LIMIT``,
    the proof of a size): PostgreSQL's synchronised scans would start each where the last scan
    of the table stopped, so that consecutive reads cover different pages, and some of them
    are no longer cached; from the first page, each reads the same pages, which stay cached.
    At a million contacts, one such read in ten took 100 ms instead of 25
    (``bench/README.md``).
    """
    with local_setting("synchronize_seqscans", "off"):
        yield


def _test_one_by_one(candidates: int, *, searched: Callable[[], int]) -> bool:
    """Whether a search is tested on each of the ``candidates`` contacts of the other filters
    (as estimated) rather than answered by the GIN index: when they are at most
    SEARCH_ROWS_TESTED, or at most SIZE_WALK_ROWS and fewer than a quarter of the search's own
    matches (``searched()``, planned only then), whose bitmap the GIN index builds whole
    whatever the other filters. Testing a contact costs about as much as four entries of that
    bitmap (at a million contacts: 6,790 contacts of a tag read and tested in 7 to 8 ms, the
    125,070 entries of ``smith:*`` in 32)."""
    if candidates <= SEARCH_ROWS_TESTED:
        return True
    if candidates > SIZE_WALK_ROWS:
        return False
    return candidates * TESTED_ROW_COST < searched()


def _search_alone(organizer: Organizer, terms: list[str]) -> int:
    """The planner's estimate of the organizer's contacts that the search ``terms`` matches,
    whatever the other filters: the entries of the GIN bitmap a plan through it builds."""
    return _estimate(Contact.objects.filter(organizer=organizer, search_vector=_tsquery(terms)).order_by())


def _proof_pays(expected: int, *, candidates: int, contacts: int, sequential: bool) -> bool:
    """Whether a search's size, ``expected`` matches among ``candidates`` contacts of the other
    filters (of the organizer's ``contacts``), is worth proving above COUNT_EXACT_UP_TO by
    reading contacts of the other filters until enough match: only when the walk is expected
    to find half again the matches it needs within its SIZE_WALK_ROWS (a walk that fails costs
    those reads before the count). When the other filters are read through an index, that
    bounds the walk; when they are read by scanning the table (``sequential``: filters no index
    narrows), the rows scanned past on the way count too, at most SIZE_WALK_READS of them."""
    wanted = COUNT_EXACT_UP_TO + 1
    if expected * SIZE_WALK_ROWS / max(candidates, 1) < 1.5 * wanted:
        return False
    return not sequential or wanted * contacts / max(expected, 1) <= SIZE_WALK_READS


def _matching(queryset: QuerySet[Contact], terms: list[str], *, wanted: int) -> int:
    """How many contacts of ``queryset`` match the search ``terms``, counting up to ``wanted``
    (reading stops there). The search is tested on the rows ``queryset`` reads (the function
    behind ``@@``), never answered by the GIN index, whose bitmap would be built whole."""
    try:
        sql, params = queryset.values("search_vector").query.sql_with_params()
    except EmptyResultSet:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM ({sql}) AS walk WHERE ts_match_vq(walk.search_vector, "
            "to_tsquery('simple'::regconfig, %s)) LIMIT %s) AS found",
            [*params, _prefix_query_text(terms), wanted],
        )
        row = cursor.fetchone()
    return int(row[0]) if row is not None else 0


@dataclass(frozen=True)
class Tested:
    """What testing the search on each row of a bounded read found: how many rows matched,
    and the lowest and highest value of a column among them (None without a column or match)."""

    matched: int
    low: str | None = None
    high: str | None = None


def _tested(queryset: QuerySet[Contact], terms: list[str], column: str | None = None) -> Tested | None:
    """The search ``terms`` tested on each row the bounded ``queryset`` reads (never the GIN
    index of the whole vector, whose bitmap would be built whole), with the ends of ``column``
    among the matches; None when it read as many rows as its LIMIT (more may follow)."""
    columns = ["search_vector", *([column] if column else [])]
    try:
        sql, params = queryset.values(*columns).query.sql_with_params()
    except EmptyResultSet:
        return Tested(0)
    match = "ts_match_vq(walk.search_vector, to_tsquery('simple'::regconfig, %s))"
    ends = (
        f", min(walk.{column}) FILTER (WHERE {match}), max(walk.{column}) FILTER (WHERE {match})"
        if column
        else ""
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {match}){ends} FROM ({sql}) AS walk",
            [_prefix_query_text(terms)] * (3 if column else 1) + list(params),
        )
        row = cursor.fetchone()
    assert row is not None and queryset.query.high_mark is not None
    if row[0] >= queryset.query.high_mark:
        return None
    return Tested(int(row[1]), *row[2:])


def _range_ends(organizer: Organizer, column: str, ranges: list[ValueRange]) -> list[str]:
    """The lowest and highest ``column`` of the organizer's contacts in each of ``ranges``, in
    one statement: each ``min`` and ``max`` is one read of the column's sort index."""
    statements: list[str] = []
    params: list[Any] = []
    table = connection.ops.quote_name(Contact._meta.db_table)
    owner, name = _quoted_column("organizer"), _quoted_column(column)
    for bounds in ranges:
        statements.append(
            f"SELECT min({name}), max({name}) FROM {table} WHERE {owner} = %s AND {name} >= %s AND {name} < %s"
        )
        params.extend((organizer.pk, bounds.low, bounds.high))
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(statements), params)
        return [value for row in cursor.fetchall() for value in row if value is not None]


def _quoted_column(name: str) -> str:
    """The quoted database column of the contact field ``name``."""
    field = Contact._meta.get_field(name)
    assert isinstance(field, Field) and field.column is not None
    return connection.ops.quote_name(field.column)


def _estimate(queryset: QuerySet[Contact]) -> int:
    """PostgreSQL's estimate of the number of rows of ``queryset`` (planning only)."""
    # Only the primary key selected: the estimate is that of the rows, and the statement is
    # shorter to compile and plan than with every column.
    plan = json.loads(queryset.values("pk").explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


@dataclass(frozen=True)
class WalkPlan:
    """How PostgreSQL would read the contacts of a bounded walk: the rows it expects before the
    walk's LIMIT, and whether it scans the table (rather than reading through an index)."""

    rows: int
    sequential: bool


def _walk_plan(walk: QuerySet[Contact]) -> WalkPlan:
    """The plan of reading ``walk`` (a sliced queryset) as :func:`_matching` reads it, with the
    search vector, so that an index holding the filtered columns alone does not count as a
    read of the rows."""
    plan = json.loads(walk.values("search_vector").explain(format="json"))[0]["Plan"]
    nodes, sequential = [plan], False
    while nodes:
        node = nodes.pop()
        # Only a scan of the contacts counts: a filter's subquery may scan a small table.
        sequential = sequential or (
            node["Node Type"] == "Seq Scan" and node.get("Relation Name") == Contact._meta.db_table
        )
        nodes.extend(node.get("Plans", []))
    # The LIMIT caps the top node's rows; the node below it has the estimate of all of them.
    rows = plan["Plans"][0]["Plan Rows"] if plan["Node Type"] == "Limit" else plan["Plan Rows"]
    return WalkPlan(int(rows), sequential)


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


def contacts_matching(
    *, organizer: Organizer, criteria: ContactCriteria, ordered: bool = True
) -> QuerySet[Contact]:
    """The matching contacts in ``criteria.sort_by`` order; ``ordered=False`` for a set, which
    spares a search the work of choosing how to find the first page."""
    return contact_query().contacts(organizer=organizer, criteria=criteria, ordered=ordered)


def contacts_count(*, organizer: Organizer, criteria: ContactCriteria) -> int:
    """The exact number of matches (reads all of them; :func:`contacts_size` for display)."""
    return contact_query().count(organizer=organizer, criteria=criteria)


def contacts_size(*, organizer: Organizer, criteria: ContactCriteria) -> ContactCount:
    """The number of matches as pages and the API show it: exact, or estimated when large."""
    return contact_query().size(organizer=organizer, criteria=criteria)


def contact_history(*, contact: Contact) -> QuerySet[ContactEvent]:
    return contact.history.select_related("event").order_by("-created", "-id")
