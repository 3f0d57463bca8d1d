"""Invoices, ticket PDFs and answer files move from the public media root to the private storage.

Invoices and answer files get unguessable names on the way (their old names carried the invoice
number or the uploader's file name). Ticket PDFs keep theirs, which derive from the position's
secret. Queued mails that attach a renamed file are pointed at its new name. Originals are
deleted only once the migration committed, so a failed run can simply be repeated.
"""

from __future__ import annotations

from typing import Any

from django.core.files.storage import Storage, storages
from django.db import migrations, models, transaction
from django_scopes import scopes_disabled

import eventyay.base.storage
from eventyay.base.storage import unguessable_name

#: Models with a file field that moved, and the folder of their new names.
FILE_FIELDS = (("Invoice", "tickets/invoices"), ("QuestionAnswer", "tickets/answers"))
TICKETS_FOLDER = "tickets/tickets"
MAIL_PENDING = ("queued", "sending")


def _copy(source: Storage, target: Storage, name: str, new_name: str) -> str:
    with source.open(name, "rb") as stream:
        return target.save(new_name, stream)


def _delete_on_commit(storage: Storage, names: list[str]) -> None:
    def delete() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete)


def _tree(storage: Storage, folder: str) -> list[str]:
    if not storage.exists(folder):
        return []
    folders, files = storage.listdir(folder)
    found = [f"{folder}/{name}" for name in files]
    for sub in folders:
        found += _tree(storage, f"{folder}/{sub}")
    return found


def _move(apps: Any, *, source: Storage, target: Storage, rename: bool) -> None:
    moved: dict[str, str] = {}
    for model_name, folder in FILE_FIELDS:
        model = apps.get_model("eventyay_tickets", model_name)
        rows = model.objects.exclude(file="").exclude(file__isnull=True).values_list("pk", "file")
        for pk, name in rows.iterator():
            if not source.exists(name) or target.exists(name):
                continue
            new_name = _copy(source, target, name, unguessable_name(folder, name) if rename else name)
            model.objects.filter(pk=pk).update(file=new_name)
            moved[name] = new_name
    for name in _tree(source, TICKETS_FOLDER):
        # A ticket's name derives from its content, so a copy already there is the same file.
        moved[name] = name if target.exists(name) else _copy(source, target, name, name)
    mail_model = apps.get_model("eventyay_base", "OutgoingMail")
    for mail in mail_model.objects.filter(status__in=MAIL_PENDING).exclude(attachments=[]):
        attachments = [{**a, "path": moved.get(a.get("path"), a.get("path"))} for a in mail.attachments]
        if attachments != mail.attachments:
            mail_model.objects.filter(pk=mail.pk).update(attachments=attachments)
    _delete_on_commit(source, list(moved))


def files_to_private(apps: Any, schema_editor: Any) -> None:
    # Every organizer's files move at once; with today's models (tests) queries need no scope.
    with scopes_disabled():
        _move(apps, source=storages["default"], target=storages["private"], rename=True)


def files_to_public(apps: Any, schema_editor: Any) -> None:
    with scopes_disabled():
        _move(apps, source=storages["private"], target=storages["default"], rename=False)


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_base", "0001_initial"),
        ("eventyay_tickets", "0005_refund_claim_paid_over_quota"),
    ]

    operations = [
        migrations.AlterField(
            model_name="invoice",
            name="file",
            field=models.FileField(
                blank=True,
                null=True,
                storage=eventyay.base.storage.get_private_storage,
                upload_to=eventyay.base.storage.UnguessableName("tickets/invoices"),
            ),
        ),
        migrations.AlterField(
            model_name="questionanswer",
            name="file",
            field=models.FileField(
                blank=True,
                null=True,
                storage=eventyay.base.storage.get_private_storage,
                upload_to=eventyay.base.storage.UnguessableName("tickets/answers"),
            ),
        ),
        migrations.RunPython(files_to_private, files_to_public),
    ]
