"""Which messages the public side shows: public pages, their forms, mails and PDFs.

Messages are extracted from the sources below as ``makemessages`` would (Django's
``templatize`` for templates, then Babel's Python extractor), so the German check sees exactly
the msgids the catalogs must hold. Control panel templates and views are not listed here.
"""

from __future__ import annotations

import importlib
import io
from collections.abc import Iterator
from pathlib import Path

from babel.messages.extract import extract_python
from django.utils.translation.template import templatize

KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}

#: Package, then globs (relative to the package) of the sources public pages, mails and PDFs
#: use. A glob starting with "!" removes matches (the control panel's own templates).
PUBLIC_SOURCES: dict[str, list[str]] = {
    "eventyay": [
        "base/templates/**/*.html",
        "public/templates/**/*.html",
        "public/*.py",
        "base/dates.py",
        "base/selectors/public.py",
    ],
    "eventyay_tickets": [
        "templates/**/*.html",
        "templates/**/*.txt",
        "!templates/eventyay_tickets/control/**/*",
        "forms.py",
        "hooks.py",
        "views/shop.py",
        "views/checkout.py",
        "views/order.py",
        "payment/*.py",
        "services/cart.py",
        "services/errors.py",
        "services/documents.py",
        "services/invoices.py",
        "services/notifications.py",
        "services/validation.py",
    ],
    "eventyay_talk": [
        "templates/**/*.html",
        "templates/**/*.txt",
        "!templates/eventyay_talk/control/**/*",
        "forms.py",
        "hooks.py",
        "views/cfp.py",
        "views/speaker.py",
        "views/schedule.py",
        "views/schedule_html.py",
        "services/mails.py",
    ],
    "eventyay_video": [
        "templates/**/*.html",
        "!templates/eventyay_video/control/**/*",
        "hooks.py",
        "views.py",
    ],
    "eventyay_stripe": ["templates/**/*.html", "!templates/eventyay_stripe/control.html"],
    "eventyay_campaigns": ["templates/eventyay_campaigns/public/**/*.html"],
}


def package_dir(package: str) -> Path:
    module = importlib.import_module(package)
    return Path(module.__file__ or "").parent


def public_files(package: str) -> list[Path]:
    root = package_dir(package)
    chosen: set[Path] = set()
    for pattern in PUBLIC_SOURCES[package]:
        if pattern.startswith("!"):
            chosen -= set(root.glob(pattern[1:]))
        else:
            chosen |= {path for path in root.glob(pattern) if path.is_file()}
    return sorted(chosen)


def extract(path: Path) -> Iterator[tuple[str, str | None, int]]:
    """(msgid, context, line) of every message in ``path``; plural forms give their singular."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".py":
        text = templatize(text, origin=str(path))
    for lineno, _function, message, _comments in extract_python(
        io.BytesIO(text.encode("utf-8")), KEYWORDS, [], {}
    ):
        if isinstance(message, tuple):
            parts = [part for part in message if part]
            context = None
            if _function.startswith(("pgettext", "npgettext")):
                context, parts = parts[0], parts[1:]
            msgid = parts[0] if parts else ""
        else:
            msgid, context = message, None
        if msgid:
            yield msgid, context, lineno


def public_messages(package: str) -> dict[tuple[str, str | None], str]:
    """Every public message of ``package``, with where it is used first."""
    found: dict[tuple[str, str | None], str] = {}
    for path in public_files(package):
        for msgid, context, line in extract(path):
            found.setdefault((msgid, context), f"{path}:{line}")
    return found
