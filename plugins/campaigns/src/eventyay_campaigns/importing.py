"""Importing contacts from a CSV or XLSX file with a column mapping.

The dry run and the import run the same code: every row is written inside one transaction,
which the dry run (or any row error) rolls back, so a dry run reports exactly what the import
would do and a failed import leaves nothing behind.

Both run as background jobs of kind :data:`IMPORT_JOB_KIND` (registered with the core's
``register_job_runners`` hook), so the page shows a progress bar instead of holding a request
open; the job's result file is the report (JSON) the page shows when it is done.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from eventyay.base.models import Job, Organizer, User
from eventyay.base.services.jobs import JobFailed, ProgressWriter, job_atomic, job_queue
from eventyay.base.storage import private_storage, unguessable_name
from eventyay_campaigns.models import Contact, CustomFieldDefinition
from eventyay_campaigns.services.contacts import PROFILE_FIELDS, contact_save, normalise_email

#: Rows beyond this are refused: one import is one transaction.
MAX_ROWS = 20_000
IMPORT_JOB_KIND = "campaigns.import"
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
    it is. Row numbers in errors count the header as row 1, as spreadsheets do.
    """
    result = ImportResult(dry_run=dry_run)
    if "email" not in mapping.values():
        result.errors.append(RowError(row=1, field="email", message=_("Map a column to the email address.")))
        return result
    reported = -1
    with transaction.atomic():
        for number, row in enumerate(rows, start=2):
            percentage = (number - 2) * 100 // max(len(rows), 1)
            if progress is not None and percentage != reported:
                progress(percentage)
                reported = percentage
            data = _row_data(row, mapping)
            email = normalise_email(data.get("email", ""))
            contact = Contact.objects.filter(organizer=organizer, email_key=email).first() if email else None
            try:
                if not email:
                    raise ValidationError({"email": _("This field is required.")})
                contact_save(
                    organizer=organizer,
                    contact=contact,
                    data=data,
                    actor=actor,
                    consent_source=Contact.ConsentSource.IMPORT,
                )
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    result.errors.extend(RowError(row=number, field=name, message=m) for m in messages)
                continue
            if contact is None:
                result.created += 1
            else:
                result.updated += 1
        if dry_run or result.errors:
            transaction.set_rollback(True)
    return result


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
