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
PATH_PLACEHOLDER = re.compile(r"_package_|_name_|dot_gitignore")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*[a-z0-9]$|^[a-z]$")


#: The options that add code, and the ones each of them needs.
OPTIONS = {"model": (), "api": ("model",), "webhook": ("model",)}


def latest_core_migration() -> str:
    """The newest migration of eventyay's core app: a generated model's migration needs it."""
    from django.db.migrations.loader import MigrationLoader

    leaves = MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes("eventyay_base")
    return leaves[0][1]


def import_lists(flags: set[str]) -> dict[str, str]:
    """The names the generated modules import, sorted as isort does (classes, then functions)."""
    hooks = {"Section", "hookimpl"}
    services = {"log_action"}
    if "model" in flags:
        hooks |= {"NavItem", "TeamPermission"}
    if "api" in flags:
        hooks.add("OAuthScope")
    if "webhook" in flags:
        hooks.add("WebhookActionType")
        services.add("webhook_emit")

    def ordered(names: set[str]) -> str:
        return ", ".join(sorted(names, key=lambda name: (name[:1].islower(), name)))

    return {"hooks_imports": ordered(hooks), "services_imports": ordered(services)}


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


def select_lines(text: str, flags: set[str]) -> str | None:
    """Keep the lines of a template that the chosen options ask for.

    ``#if model`` ... ``#endif`` (on lines of their own; ``#if api,webhook`` means either,
    ``#if !api`` means without) frame optional lines. A template starting with ``#file-if``
    is written only when its condition holds; None means skip the file.
    """

    def holds(condition: str) -> bool:
        return any(
            (part[1:] not in flags) if part.startswith("!") else (part in flags)
            for part in condition.split(",")
        )

    lines = text.splitlines(keepends=True)
    if lines and lines[0].startswith("#file-if "):
        if not holds(lines[0].split(None, 1)[1].strip()):
            return None
        lines = lines[1:]
    kept: list[str] = []
    stack: list[bool] = []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("#if "):
            stack.append(holds(stripped[4:].strip()))
        elif stripped == "#endif":
            stack.pop()
        elif all(stack):
            kept.append(line)
    return "".join(kept)


def render_skeleton(
    target: Path, context: dict[str, str], flags: set[str] | frozenset[str] = frozenset()
) -> list[Path]:
    """Write every template file below ``target`` that ``flags`` ask for; returns the written paths."""
    placeholders = {"_package_": context["package"], "_name_": context["name"], "dot_gitignore": ".gitignore"}
    written = []
    for source in sorted(TEMPLATE_DIR.rglob("*" + TEMPLATE_SUFFIX)):
        text = select_lines(source.read_text(encoding="utf-8"), set(flags))
        if text is None:
            continue
        relative = source.relative_to(TEMPLATE_DIR).as_posix()[: -len(TEMPLATE_SUFFIX)]
        # One pass, so that a name containing "name" is not replaced twice.
        relative = PATH_PLACEHOLDER.sub(lambda match: placeholders[match.group(0)], relative)
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(string.Template(text).substitute(context), encoding="utf-8")
        written.append(destination)
    return written


class Command(BaseCommand):
    help = (
        "Write a new plugin distribution: pyproject.toml with the eventyay.plugin entry point, "
        "README with the next steps, .gitignore, the app config, a hook adding a front-page "
        "section, an event URL, templates and tests that use eventyay's pytest fixtures. "
        "--with-model, --with-api and --with-webhook add working, tested code."
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
        parser.add_argument(
            "--with-model",
            action="store_true",
            help="A model of the event's tenant scope (Item), its migration, a service creating "
            "items with an audit entry, team permissions and a control panel list page.",
        )
        parser.add_argument(
            "--with-api",
            action="store_true",
            help="A REST API for the items (implies --with-model): serializer, viewset, api/urls.py, "
            "guarded by the plugin's team permissions and OAuth scopes.",
        )
        parser.add_argument(
            "--with-webhook",
            action="store_true",
            help="A webhook action type emitted when an item is created (implies --with-model).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"]
        if not NAME_PATTERN.match(name) or "__" in name:
            raise CommandError(
                f"{name!r} is not a valid plugin name: use lowercase letters, digits and single "
                "underscores, starting with a letter (e.g. 'badges')."
            )
        flags = {option for option in OPTIONS if options[f"with_{option}"]}
        flags |= {needed for option in set(flags) for needed in OPTIONS[option]}
        context = template_context(name, options["description"].replace('"', "'"))
        if "model" in flags:
            context["core_migration"] = latest_core_migration()
        context.update(import_lists(flags))
        if importlib.util.find_spec(context["package"]) is not None:
            raise CommandError(f"A Python package named {context['package']!r} is already installed.")
        target = Path(options["dir"] or Path.cwd() / context["dist"]).resolve()
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise CommandError(f"{target} already exists and is not an empty directory.")
        written = render_skeleton(target, context, flags)
        self.stdout.write(
            self.style.SUCCESS(f"Created {context['dist']} in {target} ({len(written)} files).")
        )
        self.stdout.write(f"Next steps (also in {target / 'README.rst'}):")
        self.stdout.write(f"    pip install -e '{target}[dev]'")
        self.stdout.write(f"    cd {target} && pytest")
        self.stdout.write(f"    python -m eventyay plugins enable <organizer>/<event> {name}")
