"""Importing contacts from a CSV or XLSX file with a column mapping.

The dry run and the import run the same code, in one transaction: rows are checked batch by
batch against the contacts they name, and written batch by batch once the import is known to
be clean. A dry run (or any row error) writes nothing, so a dry run reports exactly what the
import would do and a failed import leaves nothing behind.

Both run as background jobs of kind :data:`IMPORT_JOB_KIND` (registered with the core's
``register_job_runners`` hook), so the page shows a progress bar instead of holding a request
open; the job's result file is the report (JSON) the page shows when it is done.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from eventyay.base.models import Job, Organizer, User
from eventyay.base.services.jobs import JobFailed, ProgressWriter, job_atomic, job_queue
from eventyay.base.storage import private_storage, unguessable_name
from eventyay_campaigns.models import Contact, CustomFieldDefinition
from eventyay_campaigns.services.contacts import (
    PROFILE_FIELDS,
    contact_profile_apply,
    contacts_save_many,
    custom_field_definitions,
    normalise_email,
)

#: Rows beyond this are refused: one import is one transaction.
MAX_ROWS = 20_000
IMPORT_JOB_KIND = "campaigns.import"
#: Rows checked and written together: one read of their contacts, one insert, one update.
BATCH_ROWS = 500
#: Row errors kept in a report; the total is always given.
REPORT_MAX_ERRORS = 1000
IGNORE = ""
TAGS = "tags"
CONSENT = "marketing_consent"
SMS_CONSENT = "sms_consent"
#: Consent columns and the cells that mean "agreed" (any case); any other value is "not agreed".
CONSENT_TARGETS = (CONSENT, SMS_CONSENT)
AGREED = ("1", "true", "yes", "y", "x")
CUSTOM_PREFIX = "cf_"


class ImportFileError(ValueError):
    """The file cannot be read as a table."""


def import_targets(*, organizer: Organizer) -> list[tuple[str, str]]:
    """Where a column can go: (value, label) pairs, "ignore" first."""
    targets: list[tuple[str, str]] = [(IGNORE, _("(ignore)"))]
    for name in PROFILE_FIELDS:
        model_field = Contact._meta.get_field(name)
        targets.append((name, str(getattr(model_field, "verbose_name", name))))
    targets += [
        (TAGS, _("Tags (comma-separated)")),
        (CONSENT, _("Agreed to marketing mail")),
        (SMS_CONSENT, _("Agreed to marketing text messages")),
    ]
    targets += [
        (CUSTOM_PREFIX + d.key, d.label) for d in CustomFieldDefinition.objects.filter(organizer=organizer)
    ]
    return targets


def import_file_read(*, file: IO[bytes], filename: str) -> tuple[list[str], list[list[str]]]:
    """The header row and the data rows of a CSV (UTF-8, comma or semicolon) or XLSX file."""
    if filename.lower().endswith(".xlsx"):
        rows = _xlsx_rows(file)
    else:
        try:
            text = file.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFileError(_("The file is not UTF-8 encoded text.")) from None
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel  # type: ignore[assignment]
        rows = [row for row in csv.reader(io.StringIO(text), dialect) if any(cell.strip() for cell in row)]
    if not rows:
        raise ImportFileError(_("The file has no rows."))
    if len(rows) - 1 > MAX_ROWS:
        raise ImportFileError(_("The file has more than %d rows; split it.") % MAX_ROWS)
    header = [cell.strip() for cell in rows[0]]
    return header, [row + [""] * (len(header) - len(row)) for row in rows[1:]]


def _xlsx_rows(file: IO[bytes]) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception:
        raise ImportFileError(_("The file is not a readable XLSX workbook.")) from None
    sheet = workbook.worksheets[0]
    rows = []
    for values in sheet.iter_rows(values_only=True):
        row = ["" if value is None else str(value) for value in values]
        if any(cell.strip() for cell in row):
            rows.append(row)
    workbook.close()
    return rows


@dataclass
class RowError:
    row: int
    field: str
    message: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = True

    @property
    def written(self) -> bool:
        return not self.dry_run and not self.errors


def contacts_import(
    *,
    organizer: Organizer,
    header: list[str],
    rows: list[list[str]],
    mapping: dict[int, str],
    dry_run: bool,
    actor: Any = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Create or update a contact per row; ``mapping`` is column index to target.

    Rows are matched to contacts by email address (in any case); empty cells leave a value as
    it is, and a later row of the same address goes on from what the earlier one set. Row
    numbers in errors count the header as row 1, as spreadsheets do. Rows are checked and
    written :data:`BATCH_ROWS` at a time, in a constant number of statements per batch.
    """
    result = ImportResult(dry_run=dry_run)
    if "email" not in mapping.values():
        result.errors.append(RowError(row=1, field="email", message=_("Map a column to the email address.")))
        return result
    definitions = custom_field_definitions(organizer=organizer)
    fields = _written_fields(mapping)
    #: Every contact the import has reached so far, as its rows left it, by address: a later
    #: batch goes on from there (and updates a contact an earlier one created).
    seen: dict[str, Contact] = {}
    with transaction.atomic():
        for start in range(0, len(rows), BATCH_ROWS):
            if progress is not None:
                progress(start * 100 // len(rows))
            batch = _ImportBatch(organizer=organizer, definitions=definitions, seen=seen, fields=fields)
            for number, row in enumerate(rows[start : start + BATCH_ROWS], start=start + 2):
                batch.add(number, _row_data(row, mapping))
            batch.apply()
            result.created += batch.creates
            result.updated += batch.updates
            result.errors.extend(batch.errors)
            if not dry_run and not result.errors:
                try:
                    with transaction.atomic():
                        batch.save(actor=actor)
                except IntegrityError:
                    # Another request added one of these addresses since the batch read them.
                    message = _("Contacts changed while the file was imported; import it again.")
                    result.errors.append(RowError(row=1, field="email", message=message))
        if dry_run or result.errors:
            transaction.set_rollback(True)
    return result


class _ImportBatch:
    """Rows of one batch, applied in order to the contacts they name, then written together."""

    def __init__(
        self,
        *,
        organizer: Organizer,
        definitions: dict[str, CustomFieldDefinition],
        seen: dict[str, Contact],
        fields: set[str],
    ) -> None:
        self.organizer = organizer
        self.definitions = definitions
        self.seen = seen
        #: The columns the mapping can change on a stored contact.
        self.fields = fields
        self.rows: list[tuple[int, str, dict[str, Any]]] = []
        self.errors: list[RowError] = []
        self.creates = 0
        self.updates = 0
        #: Each address's contact as the rows so far left it, and whether it is new.
        self.contacts: dict[str, Contact] = {}
        self.new_addresses: set[str] = set()
        self.tags: dict[str, list[str]] = {}

    def add(self, number: int, data: dict[str, Any]) -> None:
        email = normalise_email(data.get("email", ""))
        if not email:
            self.errors.append(RowError(row=number, field="email", message=_("This field is required.")))
            return
        self.rows.append((number, email, data))

    def apply(self) -> None:
        addresses = {email for _number, email, _data in self.rows} - self.seen.keys()
        stored = {
            contact.email_key: contact
            for contact in Contact.objects.filter(organizer=self.organizer, email_key__in=addresses)
        }
        for number, email, data in self.rows:
            current = self.contacts.get(email) or self.seen.get(email) or stored.get(email)
            # A copy: a row with errors leaves the contact as the rows before it left it.
            contact = copy.copy(current) if current is not None else Contact(organizer=self.organizer)
            try:
                contact_profile_apply(
                    organizer=self.organizer,
                    contact=contact,
                    data=data,
                    consent_source=Contact.ConsentSource.IMPORT,
                    definitions=self.definitions,
                )
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    self.errors.extend(RowError(row=number, field=name, message=m) for m in messages)
                continue
            self.contacts[email] = contact
            if current is None:
                self.creates += 1
                self.new_addresses.add(email)
            else:
                self.updates += 1
            if TAGS in data:
                self.tags[email] = data[TAGS]
        self.seen.update(self.contacts)

    def save(self, *, actor: Any) -> None:
        contacts_save_many(
            organizer=self.organizer,
            new=[c for email, c in self.contacts.items() if email in self.new_addresses],
            changed=[c for email, c in self.contacts.items() if email not in self.new_addresses],
            tags=[(self.contacts[email], names) for email, names in self.tags.items()],
            fields=self.fields,
            actor=actor,
        )


def _written_fields(mapping: dict[int, str]) -> set[str]:
    fields: set[str] = set()
    for target in mapping.values():
        if target in PROFILE_FIELDS:
            fields.add(target)
        elif target.startswith(CUSTOM_PREFIX):
            fields.add("custom_fields")
        elif target == CONSENT:
            fields.update(("marketing_consent", "consent_source", "consent_at"))
        elif target == SMS_CONSENT:
            fields.update(("sms_consent", "sms_consent_source", "sms_consent_at"))
    return fields


def _row_data(row: list[str], mapping: dict[int, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for index, target in mapping.items():
        value = row[index].strip() if index < len(row) else ""
        if not target or not value:
            continue
        if target == TAGS:
            data[TAGS] = [t for t in value.split(",") if t.strip()]
        elif target in CONSENT_TARGETS:
            data[target] = value.lower() in AGREED
        elif target.startswith(CUSTOM_PREFIX):
            custom[target.removeprefix(CUSTOM_PREFIX)] = value
        else:
            data[target] = value
    if custom:
        data["custom_fields"] = custom
    return data


def import_job_create(
    *, organizer: Organizer, user: User, file: str, mapping: dict[int, str], dry_run: bool
) -> Job:
    """Queue a dry run or an import of the uploaded ``file`` (a name in the private storage)."""
    with transaction.atomic():
        job = Job.objects.create(
            kind=IMPORT_JOB_KIND,
            organizer=organizer,
            identifier="contacts",
            options={
                "file": file,
                "mapping": {str(index): target for index, target in mapping.items()},
                "dry_run": dry_run,
            },
            user=user,
        )
        job_queue(job)
    return job


def import_job_run(job: Job, progress: ProgressWriter) -> tuple[str, str, str]:
    """The job runner: import (or dry-run) the file, store the report as the job's result."""
    name = job.options["file"]
    if not private_storage.exists(name):
        raise JobFailed(_("The uploaded file is gone; upload it again."))
    with private_storage.open(name, "rb") as file:
        try:
            header, rows = import_file_read(file=file, filename=name)
        except ImportFileError as exc:
            raise JobFailed(str(exc)) from None
    mapping = {int(index): target for index, target in job.options["mapping"].items()}
    with job_atomic():
        result = contacts_import(
            organizer=job.organizer,
            header=header,
            rows=rows,
            mapping=mapping,
            dry_run=bool(job.options["dry_run"]),
            actor=job.user,
            progress=progress,
        )
    report = {
        "dry_run": result.dry_run,
        "written": result.written,
        "rows": len(rows),
        "created": result.created,
        "updated": result.updated,
        "error_count": len(result.errors),
        "errors": [asdict(error) for error in result.errors[:REPORT_MAX_ERRORS]],
    }
    if result.written:
        private_storage.delete(name)
    report_name = private_storage.save(
        unguessable_name("campaigns/import-reports", "report.json"),
        ContentFile(json.dumps(report).encode()),
    )
    return report_name, "contacts-import-report.json", "application/json"


def import_report(job: Job) -> dict[str, Any] | None:
    """The report of a finished import job, or None while it runs (or when it failed)."""
    if job.state != Job.State.DONE or not job.file or not private_storage.exists(job.file):
        return None
    with private_storage.open(job.file, "rb") as file:
        report: dict[str, Any] = json.loads(file.read())
    return report
