"""``python -m eventyay startplugin <name>``: write the skeleton of a new plugin distribution."""

from __future__ import annotations

import importlib.util
import re
import string
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from packaging.version import Version

from eventyay import __version__

TEMPLATE_DIR = Path(__file__).resolve().parent / "startplugin_template"
TEMPLATE_SUFFIX = ".tmpl"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*[a-z0-9]$|^[a-z]$")


def template_context(name: str, description: str) -> dict[str, str]:
    """The values the skeleton's ``$placeholders`` are filled with."""
    package = f"eventyay_{name}"
    dist = f"eventyay-{name.replace('_', '-')}"
    return {
        "name": name,
        "package": package,
        "dist": dist,
        "underline": "=" * len(dist),
        "title": name.replace("_", " ").title(),
        "class_name": "".join(part.title() for part in name.split("_")),
        "description": description,
        "url_segment": name.replace("_", "-"),
        "eventyay_version": __version__,
        "next_major": str(Version(__version__).major + 1),
    }


def render_skeleton(target: Path, context: dict[str, str]) -> list[Path]:
    """Write every template file below ``target``; returns the written paths."""
    written = []
    for source in sorted(TEMPLATE_DIR.rglob("*" + TEMPLATE_SUFFIX)):
        relative = source.relative_to(TEMPLATE_DIR).as_posix()[: -len(TEMPLATE_SUFFIX)]
        relative = relative.replace("_package_", context["package"]).replace("_name_", context["name"])
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(
            string.Template(source.read_text(encoding="utf-8")).substitute(context), encoding="utf-8"
        )
        written.append(destination)
    return written


class Command(BaseCommand):
    help = (
        "Write a new plugin distribution: pyproject.toml with the eventyay.plugin entry point, "
        "README, the app config, a hook adding a front-page section, an event URL, templates "
        "and tests that use eventyay's pytest fixtures."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The plugin's name: lowercase letters, digits and underscores.")
        parser.add_argument(
            "--dir",
            metavar="PATH",
            help="The directory to create (default: ./eventyay-<name>). It must not exist or be empty.",
        )
        parser.add_argument(
            "--description", default="Extends eventyay functionality", help="A one-line description."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"]
        if not NAME_PATTERN.match(name) or "__" in name:
            raise CommandError(
                f"{name!r} is not a valid plugin name: use lowercase letters, digits and single "
                "underscores, starting with a letter (e.g. 'badges')."
            )
        context = template_context(name, options["description"].replace('"', "'"))
        if importlib.util.find_spec(context["package"]) is not None:
            raise CommandError(f"A Python package named {context['package']!r} is already installed.")
        target = Path(options["dir"] or Path.cwd() / context["dist"]).resolve()
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise CommandError(f"{target} already exists and is not an empty directory.")
        written = render_skeleton(target, context)
        self.stdout.write(
            self.style.SUCCESS(f"Created {context['dist']} in {target} ({len(written)} files).")
        )
        self.stdout.write("Next steps:")
        self.stdout.write(f"    pip install -e '{target}[dev]'")
        self.stdout.write(f"    cd {target} && pytest")
        self.stdout.write(f"    python -m eventyay plugins enable <organizer>/<event> {name}")
