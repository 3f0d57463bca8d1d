"""German is complete for everything the public sees: pages, their forms, mails and PDFs.

The messages are extracted from the sources listed in :mod:`tests.i18n.sources` the way
``makemessages`` does; each must have a German translation in the catalogs Django loads
(the core's and the plugins' ``locale/de``). The compiled ``.mo`` files are committed, so a
fresh clone runs translated; the second test fails when a ``.po`` was changed without
compiling it again (``pybabel compile -d <locale dir> -D django -l de``, or
``python -m eventyay compilemessages`` in the app directory).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.utils import translation
from django.utils.translation import trans_real

from tests.i18n.sources import PUBLIC_SOURCES, package_dir, public_messages


def _german_catalog():
    translation.activate("de")
    try:
        return trans_real.translation("de")._catalog  # type: ignore[attr-defined]
    finally:
        translation.deactivate()


def _translated(catalog, msgid: str, context: str | None) -> bool:
    key = f"{context}\x04{msgid}" if context else msgid
    value = catalog.get(key) or catalog.get((key, 0))
    return bool(value)


@pytest.mark.parametrize("package", sorted(PUBLIC_SOURCES))
def test_every_public_message_has_a_german_translation(package):
    catalog = _german_catalog()
    messages = public_messages(package)
    assert messages, f"no messages found in {package}: are the source globs right?"
    missing = [
        f"{where}: {msgid!r}"
        for (msgid, context), where in messages.items()
        if not _translated(catalog, msgid, context)
    ]
    assert not missing, (
        f"{len(missing)} public messages of {package} have no German translation; run makemessages -l de "
        "in the app directory, translate them and compile:\n" + "\n".join(missing)
    )


def _is_translated(string) -> bool:
    return all(string) if isinstance(string, list | tuple) else bool(string)


def _entries(messages) -> dict:
    """(context, msgid) to translation; plural forms as tuples, as .po and .mo differ there."""

    def frozen(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    return {(m.context, frozen(m.id)): frozen(m.string) for m in messages if m.id}


@pytest.mark.parametrize("package", sorted(PUBLIC_SOURCES))
def test_compiled_catalog_matches_its_source(package):
    po_path = package_dir(package) / "locale" / "de" / "LC_MESSAGES" / "django.po"
    mo_path = Path(str(po_path)[:-3] + ".mo")
    assert po_path.exists() and mo_path.exists(), f"{package} has no German catalog"
    with po_path.open("rb") as handle:
        source = _entries(m for m in read_po(handle) if _is_translated(m.string) and not m.fuzzy)
    with mo_path.open("rb") as handle:
        compiled = _entries(read_mo(handle))
    assert {key: compiled.get(key) for key in source} == source, (
        f"{mo_path} is out of date: compile {po_path} again"
    )
