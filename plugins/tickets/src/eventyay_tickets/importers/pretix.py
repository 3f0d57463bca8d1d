"""Importing an event from pretix through its REST API: the event, its catalogue, orders, invoices.

The run, in order: the event and its settings, tax rules, categories, products and variations,
quotas, questions, vouchers and check-in lists (one transaction), then orders in batches of
:data:`ORDER_BATCH` (one transaction each, so an interrupted import keeps what it finished and
the next run skips orders whose ``last_modified`` did not change), then invoices, then the quota
and voucher counters recounted from the imported rows.

Every imported row is remembered by its id at pretix (:mod:`eventyay_tickets.importers.records`),
so a second run updates instead of duplicating. A dry run does all of it inside one transaction
that is rolled back, so its report is exactly what the import would do.

Order codes, order secrets and position secrets are kept, so links in pretix's mails keep
their codes and tickets already sent scan at eventyay's check-in.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django_scopes import scope

from eventyay.base.models import Event, Organizer
from eventyay.base.services.events import event_create, event_update
from eventyay.base.services.import_report import ImportReport
from eventyay.base.services.log import Actor
from eventyay.base.services.source_api import SourceAPI, SourceAPIError
from eventyay_tickets.importers.records import Records
from eventyay_tickets.models import (
    Category,
    CheckinList,
    PretixImport,
    Product,
    ProductVariation,
    Question,
    QuestionOption,
    Quota,
    TaxRule,
    Voucher,
)

logger = logging.getLogger(__name__)

#: Orders written per transaction.
ORDER_BATCH = 100

#: pretix question types and ours; the others are reported and skipped.
QUESTION_TYPES = {
    "S": Question.Type.TEXT,
    "T": Question.Type.TEXT,
    "TEL": Question.Type.TEXT,
    "CC": Question.Type.TEXT,
    "N": Question.Type.NUMBER,
    "B": Question.Type.BOOLEAN,
    "C": Question.Type.CHOICE,
    "M": Question.Type.MULTIPLE,
    "D": Question.Type.DATE,
    "F": Question.Type.FILE,
}

Progress = Callable[[int], None]


class PretixImportError(Exception):
    """The import cannot start or go on; the message can be shown as it is."""


@dataclass(frozen=True)
class PretixSource:
    """Where to import from: the pretix installation, a token that may read the event, the event."""

    url: str
    token: str
    organizer: str
    event: str

    @property
    def api_root(self) -> str:
        """The API root (``…/api/v1/``) of ``url``, which may be the installation's address or the root itself."""
        base = self.url.strip().rstrip("/")
        if not base.endswith("/api/v1"):
            base += "/api/v1"
        return base + "/"

    @property
    def event_path(self) -> str:
        return f"organizers/{self.organizer}/events/{self.event}/"


def i18n(value: Any) -> dict[str, str] | str:
    """pretix texts are ``{"en": …}`` objects or plain strings; ours take either."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if v}
    return "" if value is None else str(value)


def money(value: Any) -> Decimal:
    try:
        return Decimal(str(value or "0")).quantize(Decimal("0.01"))
    except InvalidOperation:
        return Decimal("0.00")


def moment(value: Any) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) and value else None


class Importer:
    """One run: holds the client, the mapping and the report; see the module docstring."""

    def __init__(
        self,
        *,
        api: SourceAPI,
        source: PretixSource,
        organizer: Organizer,
        event_slug: str,
        dry_run: bool,
        actor: Actor = None,
        progress: Progress | None = None,
    ) -> None:
        self.api = api
        self.source = source
        self.organizer = organizer
        self.event_slug = event_slug
        self.actor = actor
        self.report = ImportReport(dry_run=dry_run)
        self._progress = progress
        self.event: Event
        self.records: Records

    def progress(self, percentage: int) -> None:
        if self._progress is not None:
            self._progress(max(0, min(100, percentage)))

    def fetch(self, path: str, params: dict[str, str] | None = None) -> Any:
        return self.api.get(self.source.event_path + path, params)

    def results(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        return list(self.api.iter_results(self.source.event_path + path, params))

    # The run ----------------------------------------------------------------------------------

    def run(self) -> ImportReport:
        from eventyay_tickets.importers import pretix_orders

        event_data = self.fetch("")
        try:
            settings_data = self.fetch("settings/")
        except SourceAPIError as exc:
            if exc.status != 403:
                raise
            settings_data = {}
            self.report.notes.append(
                _("The token may not read the event's settings; they were not imported.")
            )
        self.progress(2)
        with scope(organizer=self.organizer), transaction.atomic():
            self._event(event_data, settings_data)
            self._catalogue()
            if self.report.dry_run:
                # One transaction for everything, rolled back at the end.
                pretix_orders.import_orders(self)
                pretix_orders.import_invoices(self)
                pretix_orders.recount(self)
                transaction.set_rollback(True)
                return self.report
        with scope(organizer=self.organizer):
            pretix_orders.import_orders(self)
            with transaction.atomic():
                pretix_orders.import_invoices(self)
                pretix_orders.recount(self)
                PretixImport.objects.filter(pk=self.records.pretix_import.pk).update(
                    last_run=timezone.now(), last_report=self.report.as_dict()
                )
        self.progress(100)
        return self.report

    # The event --------------------------------------------------------------------------------

    def _event(self, data: dict[str, Any], settings: dict[str, Any]) -> None:
        locales = [str(code) for code in settings.get("locales") or []] or ["en"]
        fields: dict[str, Any] = {
            "name": i18n(data.get("name")) or self.source.event,
            "date_from": moment(data.get("date_from")),
            "date_to": moment(data.get("date_to")),
            "currency": str(data.get("currency") or "EUR"),
            "timezone": str(data.get("timezone") or settings.get("timezone") or "UTC"),
            "locale": str(settings.get("locale") or locales[0]),
            "locales": locales,
            "is_public": bool(data.get("is_public", True)),
        }
        if fields["date_from"] is None:
            raise PretixImportError(_("The pretix event has no start date."))
        if data.get("has_subevents"):
            self.report.notes.append(
                _(
                    "This is an event series in pretix; its dates (subevents) are not imported, only the series."
                )
            )
        event = Event.objects.filter(organizer=self.organizer, slug=self.event_slug).first()
        try:
            if event is None:
                event = event_create(
                    organizer=self.organizer,
                    data={**fields, "slug": self.event_slug},
                    plugins=["tickets"],
                    actor=self.actor,
                )
                self.report.count("event", created=True)
            else:
                self._check_target(event)
                event = event_update(event=event, data=fields, actor=self.actor)
                self.report.count("event", created=False)
        except ValidationError as exc:
            raise PretixImportError(
                _("The event cannot be saved: %(problem)s") % {"problem": " ".join(exc.messages)}
            ) from exc
        self.event = event
        pretix_import, _created = PretixImport.objects.get_or_create(
            event=event,
            defaults={
                "source_url": self.source.api_root,
                "source_organizer": self.source.organizer,
                "source_event": self.source.event,
            },
        )
        self.records = Records(pretix_import, self.report)
        self._settings(settings)

    def _check_target(self, event: Event) -> None:
        """An existing event may only be the target of the same pretix event, or still be empty."""
        existing = PretixImport.objects.filter(event=event).first()
        if existing is not None:
            same = (existing.source_url, existing.source_organizer, existing.source_event) == (
                self.source.api_root,
                self.source.organizer,
                self.source.event,
            )
            if not same:
                raise PretixImportError(
                    _(
                        "This event was imported from %(source)s; import another pretix event into a new event."
                    )
                    % {"source": str(existing)}
                )
            return
        if event.orders.exists() or event.products.exists():  # type: ignore[attr-defined]
            raise PretixImportError(
                _("The event %(slug)s already has products or orders; import into a new event.")
                % {"slug": event.slug}
            )

    def _settings(self, settings: dict[str, Any]) -> None:
        values: dict[str, Any] = {}
        generate = {"paid": "paid", "True": "placed", "False": "never", "admin": "never", "user": "never"}
        if "invoice_generate" in settings:
            values["tickets_invoice_generate"] = generate.get(str(settings["invoice_generate"]), "never")
            if str(settings["invoice_generate"]) in ("admin", "user"):
                self.report.notes.append(
                    _(
                        "Invoices on request (pretix: “%(mode)s”) have no counterpart; automatic invoices are off."
                    )
                    % {"mode": settings["invoice_generate"]}
                )
        if settings.get("invoice_numbers_prefix"):
            values["tickets_invoice_prefix"] = str(settings["invoice_numbers_prefix"])
        footer = settings.get("invoice_footer_text")
        if footer:
            values["tickets_invoice_footer"] = (
                footer.get(self.event.locale) or next(iter(footer.values()), "")
                if isinstance(footer, dict)
                else footer
            )
        place = " ".join(
            str(settings[key])
            for key in ("invoice_address_from_zipcode", "invoice_address_from_city")
            if settings.get(key)
        )
        address = "\n".join(
            str(part)
            for part in (
                settings.get("invoice_address_from_name"),
                settings.get("invoice_address_from"),
                place,
                settings.get("invoice_address_from_country"),
            )
            if part
        )
        if address:
            values["tickets_invoice_address_from"] = address
        if values:
            self.event.settings.update(values)

    # The catalogue ----------------------------------------------------------------------------

    def _catalogue(self) -> None:
        records = self.records
        for data in self.results("taxrules/"):
            records.save(
                "taxrule",
                data["id"],
                TaxRule,
                {
                    "name": i18n(data.get("name")),
                    "rate": money(data.get("rate")),
                    "price_includes_tax": bool(data.get("price_includes_tax", True)),
                },
                event=self.event,
            )
        self.progress(4)
        for data in self.results("categories/"):
            records.save(
                "category",
                data["id"],
                Category,
                {
                    "name": i18n(data.get("name")),
                    "description": i18n(data.get("description")),
                    "position": int(data.get("position") or 0),
                },
                event=self.event,
            )
        for data in self.results("items/"):
            self._item(data)
        self.progress(7)
        for data in self.results("quotas/"):
            self._quota(data)
        for data in self.results("questions/"):
            self._question(data)
        for data in self.results("vouchers/"):
            self._voucher(data)
        for data in self.results("checkinlists/"):
            self._checkin_list(data)
        self.progress(10)

    def _item(self, data: dict[str, Any]) -> None:
        records = self.records
        tax_rule = records.get(TaxRule, "taxrule", data["tax_rule"]) if data.get("tax_rule") else None
        category = records.get(Category, "category", data["category"]) if data.get("category") else None
        if data.get("free_price"):
            self.report.notes.append(
                _(
                    "Product %(id)s lets buyers choose the price in pretix; here it sells at its default price."
                )
                % {"id": data["id"]}
            )
        product = records.save(
            "item",
            data["id"],
            Product,
            {
                "name": i18n(data.get("name")),
                "description": i18n(data.get("description")),
                "category": category,
                "price": money(data.get("default_price")),
                "tax_rule": tax_rule,
                "admission": bool(data.get("admission")),
                "active": bool(data.get("active", True)),
                "available_from": moment(data.get("available_from")),
                "available_until": moment(data.get("available_until")),
                "min_per_order": data.get("min_per_order"),
                "max_per_order": data.get("max_per_order"),
                "require_voucher": bool(data.get("require_voucher")),
                "hidden": bool(data.get("hide_without_voucher")),
                "require_approval": bool(data.get("require_approval")),
                "position": int(data.get("position") or 0),
            },
            event=self.event,
        )
        for variation in data.get("variations") or []:
            price = variation.get("price", variation.get("default_price"))
            records.save(
                "variation",
                variation["id"],
                ProductVariation,
                {
                    "value": i18n(variation.get("value")),
                    "price": money(price) if price is not None else None,
                    "active": bool(variation.get("active", True)),
                    "position": int(variation.get("position") or 0),
                },
                product=product,
            )
        for kind in ("addons", "bundles"):
            if data.get(kind):
                self.report.skip(
                    kind.rstrip("s"),
                    data["id"],
                    _(
                        "Add-ons and bundles have no counterpart; their positions are imported as products of their own."
                    ),
                )

    def _quota(self, data: dict[str, Any]) -> None:
        if data.get("subevent"):
            self.report.skip("quota", data["id"], _("Quotas of dates in an event series are not imported."))
            return
        quota = self.records.save(
            "quota",
            data["id"],
            Quota,
            {
                "name": str(data.get("name") or "")[:190],
                "size": data.get("size"),
                "close_when_sold_out": bool(data.get("close_when_sold_out")),
                "closed": bool(data.get("closed")),
            },
            event=self.event,
        )
        quota.products.set(
            [p for p in (self.records.object_id("item", i) for i in data.get("items") or []) if p is not None]
        )
        quota.variations.set(
            [v for v in (self.records.object_id("variation", i) for i in data.get("variations") or []) if v]
        )

    def _question(self, data: dict[str, Any]) -> None:
        kind = QUESTION_TYPES.get(str(data.get("type")))
        if kind is None:
            self.report.skip(
                "question",
                data["id"],
                _("The question type “%(type)s” has no counterpart (answers to it are not imported).")
                % {"type": data.get("type")},
            )
            return
        question = self.records.save(
            "question",
            data["id"],
            Question,
            {
                "question": i18n(data.get("question")),
                "help_text": i18n(data.get("help_text")),
                "type": kind,
                "required": bool(data.get("required")),
                "position": int(data.get("position") or 0),
            },
            event=self.event,
        )
        question.products.set(
            [p for p in (self.records.object_id("item", i) for i in data.get("items") or []) if p is not None]
        )
        for option in data.get("options") or []:
            self.records.save(
                "option",
                option["id"],
                QuestionOption,
                {
                    "identifier": str(option.get("identifier") or option["id"])[:64],
                    "answer": i18n(option.get("answer")),
                    "position": int(option.get("position") or 0),
                },
                question=question,
            )

    def _voucher(self, data: dict[str, Any]) -> None:
        if data.get("subevent"):
            self.report.skip(
                "voucher", data["id"], _("Vouchers for one date of an event series are not imported.")
            )
            return
        price_mode = str(data.get("price_mode") or "none")
        if price_mode not in Voucher.PriceMode.values:
            self.report.skip(
                "voucher", data["id"], _("Unknown price mode “%(mode)s”.") % {"mode": price_mode}
            )
            return
        if data.get("block_quota"):
            self.report.notes.append(
                _(
                    "Voucher %(code)s reserved quota in pretix; reserving quota for vouchers has no counterpart."
                )
                % {"code": data.get("code")}
            )
        self.records.save(
            "voucher",
            data["id"],
            Voucher,
            {
                "code": str(data["code"]),
                "max_usages": int(data.get("max_usages") or 1),
                "valid_until": moment(data.get("valid_until")),
                "product": self.records.get(Product, "item", data["item"]) if data.get("item") else None,
                "variation": (
                    self.records.get(ProductVariation, "variation", data["variation"])
                    if data.get("variation")
                    else None
                ),
                "quota": self.records.get(Quota, "quota", data["quota"]) if data.get("quota") else None,
                "price_mode": price_mode,
                "value": money(data.get("value")),
                "allow_ignore_quota": bool(data.get("allow_ignore_quota")),
                "tag": str(data.get("tag") or "")[:190],
                "comment": str(data.get("comment") or ""),
            },
            event=self.event,
        )

    def _checkin_list(self, data: dict[str, Any]) -> None:
        if data.get("subevent"):
            self.report.skip(
                "checkinlist", data["id"], _("Lists of one date of an event series are not imported.")
            )
            return
        if data.get("rules"):
            self.report.notes.append(
                _("Check-in list “%(name)s” has custom rules in pretix; they are not imported.")
                % {"name": data.get("name")}
            )
        checkin_list = self.records.save(
            "checkinlist",
            data["id"],
            CheckinList,
            {
                "name": str(data.get("name") or "")[:190],
                "all_products": bool(data.get("all_products", True)),
                "include_pending": bool(data.get("include_pending")),
                "allow_multiple_entries": bool(data.get("allow_multiple_entries")),
                "allow_exit": bool(data.get("allow_entry_after_exit")),
            },
            event=self.event,
        )
        checkin_list.products.set(
            [p for p in (self.records.object_id("item", i) for i in data.get("limit_products") or []) if p]
        )


SLUG_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9.-]*$")


def pretix_import(
    *,
    source: PretixSource,
    organizer: Organizer,
    event_slug: str,
    dry_run: bool = False,
    actor: Actor = None,
    progress: Progress | None = None,
    sleep: Callable[[float], None] | None = None,
) -> ImportReport:
    """Import ``source`` into ``organizer``'s event ``event_slug`` (created if it does not exist).

    Raises :class:`PretixImportError` with a message for people when the source cannot be read
    (wrong URL, a token that is refused, an unknown event) or the target cannot take it.
    """
    for name, value in (("organizer", source.organizer), ("event", source.event)):
        if not SLUG_PATTERN.match(value):
            raise PretixImportError(
                _("The pretix %(name)s “%(value)s” is not a short form.") % {"name": name, "value": value}
            )
    try:
        api = SourceAPI(source.api_root, source.token, sleep=sleep or time.sleep)
        importer = Importer(
            api=api,
            source=source,
            organizer=organizer,
            event_slug=event_slug,
            dry_run=dry_run,
            actor=actor,
            progress=progress,
        )
        return importer.run()
    except SourceAPIError as exc:
        # pretix 2026.8 answers 403, not 404, for an event the token's team cannot see, which
        # includes one that does not exist.
        if exc.status in (403, 404) and exc.url.rstrip("/").endswith(source.event_path.rstrip("/")):
            raise PretixImportError(
                _("pretix knows no event %(organizer)s/%(event)s (or the token may not see it).")
                % {"organizer": source.organizer, "event": source.event}
            ) from exc
        raise PretixImportError(_("Reading from pretix failed: %(problem)s") % {"problem": str(exc)}) from exc
