"""Recount the campaigns' figures from their messages, facts and attributions; report drift."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eventyay_campaigns.services.figures import figures_reconcile


class Command(BaseCommand):
    help = (
        "Recount the figures table of the campaigns analytics from the messages, their facts and "
        "the attributions; log every figure that drifted and correct it (unless --check)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", type=int, action="append", help="Only this campaign (repeatable).")
        parser.add_argument(
            "--check", action="store_true", help="Only report drift; exit with status 1 if there is any."
        )

    def handle(
        self, *args: Any, campaign: list[int] | None = None, check: bool = False, **options: Any
    ) -> None:
        if campaign and any(pk < 1 for pk in campaign):
            raise CommandError("--campaign takes a campaign id (a positive number).")
        drifts = figures_reconcile(campaign_ids=campaign, fix=not check)
        for drift in drifts:
            self.stdout.write(
                f"campaign {drift.campaign_id} {drift.day} {drift.kind} {drift.currency}".rstrip()
                + f": stored {drift.stored[0]} ({drift.stored[1]}), counted {drift.counted[0]} ({drift.counted[1]})"
            )
        verb = "found" if check else "corrected"
        self.stdout.write(f"{len(drifts)} figure(s) drifted; {verb}.")
        if check and drifts:
            raise CommandError("The figures drifted from the recount.", returncode=1)
