"""Answer files move to the private storage; all talk files get unguessable names.

Answer files (and files the CfP form kept for drafts under ``talk/uploads/``) leave the public
media root for the private storage. Proposal images and speaker pictures are shown on public
pages and stay public, but lose the names they were uploaded with. Answer files, images and
pictures are renamed to ``<folder>/<random>.<ext>``; draft uploads no row refers to keep their
names, as no URL leads into the private storage. Originals are deleted only once the migration
committed, so a failed run can simply be repeated.

Going back moves answer files and draft uploads to the public storage under their current
names; images and pictures keep their new names, which the older code serves as well.
"""

from __future__ import annotations

from typing import Any

from django.core.files.storage import Storage, storages
from django.db import migrations, models, transaction
from django_scopes import scopes_disabled

import eventyay.base.storage
from eventyay.base.storage import unguessable_name

#: ``(model, field, folder of the new names)`` of the files that stay in the public storage.
PUBLIC_FILES = (("Submission", "image", "talk/images"), ("SpeakerProfile", "avatar", "talk/avatars"))
#: The answer files, which move to the private storage.
ANSWER_FILES = ("Answer", "answer_file", "talk/answers")
#: Where the CfP form keeps uploads until the proposal exists.
UPLOADS_FOLDER = "talk/uploads"


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


def _move_rows(
    apps: Any, model_name: str, field: str, *, source: Storage, target: Storage, folder: str | None
) -> list[str]:
    """Copy each row's file to ``target`` and point the row at the copy; returns the originals.

    With ``folder`` the copy gets a new unguessable name in it; without, it keeps its name and
    a file of that name already in ``target`` is left alone.
    """
    model = apps.get_model("eventyay_talk", model_name)
    rows = model.objects.exclude(**{field: ""}).exclude(**{f"{field}__isnull": True}).values_list("pk", field)
    originals = []
    for pk, name in rows.iterator():
        if not source.exists(name) or (folder is None and target.exists(name)):
            continue
        new_name = _copy(source, target, name, unguessable_name(folder, name) if folder else name)
        model.objects.filter(pk=pk).update(**{field: new_name})
        originals.append(name)
    return originals


def _move_uploads(*, source: Storage, target: Storage, skip: list[str]) -> list[str]:
    """Move the draft uploads no row refers to, under their names; returns the originals."""
    originals = []
    for name in _tree(source, UPLOADS_FOLDER):
        if name in skip or target.exists(name):
            continue
        _copy(source, target, name, name)
        originals.append(name)
    return originals


def files_to_private(apps: Any, schema_editor: Any) -> None:
    public, private = storages["default"], storages["private"]
    # Every organizer's files move at once; with today's models (tests) queries need no scope.
    with scopes_disabled():
        renamed: list[str] = []
        for model_name, field, folder in PUBLIC_FILES:
            renamed += _move_rows(apps, model_name, field, source=public, target=public, folder=folder)
        model_name, field, folder = ANSWER_FILES
        moved = _move_rows(apps, model_name, field, source=public, target=private, folder=folder)
        # Images the CfP form kept under talk/uploads/ were renamed just now, not left behind.
        moved += _move_uploads(source=public, target=private, skip=renamed + moved)
        _delete_on_commit(public, renamed + moved)


def files_to_public(apps: Any, schema_editor: Any) -> None:
    public, private = storages["default"], storages["private"]
    with scopes_disabled():
        model_name, field, _folder = ANSWER_FILES
        moved = _move_rows(apps, model_name, field, source=private, target=public, folder=None)
        moved += _move_uploads(source=private, target=public, skip=moved)
        _delete_on_commit(private, moved)


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_talk", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="answer",
            name="answer_file",
            field=models.FileField(
                blank=True,
                null=True,
                storage=eventyay.base.storage.get_private_storage,
                upload_to=eventyay.base.storage.UnguessableName("talk/answers"),
            ),
        ),
        migrations.AlterField(
            model_name="speakerprofile",
            name="avatar",
            field=models.FileField(
                blank=True,
                null=True,
                upload_to=eventyay.base.storage.UnguessableName("talk/avatars"),
                verbose_name="Profile picture",
            ),
        ),
        migrations.AlterField(
            model_name="submission",
            name="image",
            field=models.FileField(
                blank=True,
                null=True,
                upload_to=eventyay.base.storage.UnguessableName("talk/images"),
                verbose_name="Image",
            ),
        ),
        migrations.RunPython(files_to_private, files_to_public),
    ]
