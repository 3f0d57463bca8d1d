"""``python -m eventyay apitoken``: print a new all-permission API token for an organizer."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Organizer, Team
from eventyay.base.permissions import permission_names
from eventyay.base.services.organizers import organizer_create
from eventyay.base.services.teams import team_save, token_create

API_TEAM_NAME = "API access"


def all_permission_team(organizer: Organizer) -> Team | None:
    """A team of ``organizer`` that holds every permission on every event, if there is one."""
    everything = permission_names()
    for team in Team.objects.filter(organizer=organizer, all_events=True).order_by("pk"):
        if everything <= set(team.permissions):
            return team
    return None


class Command(BaseCommand):
    help = (
        "Create an API token with every permission for an organizer and print its secret "
        "(the only line on standard output, for scripts). With --create, the organizer is "
        "created first if it does not exist."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organizer", required=True, metavar="SLUG", help="The organizer's short form.")
        parser.add_argument(
            "--create", action="store_true", help="Create the organizer if it does not exist."
        )
        parser.add_argument(
            "--name", default="command line", help="A name for the token (default: %(default)s)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["organizer"]
        with scopes_disabled():
            organizer = Organizer.objects.filter(slug=slug).first()
        if organizer is None and not options["create"]:
            raise CommandError(f"There is no organizer {slug!r}; add --create to create it.")
        try:
            with transaction.atomic():
                if organizer is None:
                    organizer = organizer_create(name=slug, slug=slug)
                    self.stderr.write(f"Created organizer {slug}.")
                with scope(organizer=organizer):
                    team = all_permission_team(organizer)
                    if team is None:
                        team = team_save(
                            organizer=organizer,
                            name=API_TEAM_NAME,
                            permissions=permission_names(),
                            all_events=True,
                        )
                        self.stderr.write(f"Created team “{API_TEAM_NAME}” with every permission.")
                    _token, secret = token_create(team=team, name=options["name"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages))
        self.stderr.write(f"Token for team “{team.name}” of {organizer.slug}; it is shown only once:")
        self.stdout.write(secret)
