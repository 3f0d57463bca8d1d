from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from eventyay.base.services.demo import demo_setup


class Command(BaseCommand):
    help = "Create or refresh the demo organizer 'demo' and event 'democon' with every plugin enabled."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--admin-password", help="Set the demo administrator's password.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo_setup(admin_password=options.get("admin_password"))
        # Kept in the data dir so every `make run` can print the login again.
        password_file = settings.DATA_DIR / "demo-admin-password"
        if result.admin_password:
            password_file.write_text(result.admin_password)
            password_file.chmod(0o600)
        elif password_file.exists():
            result.admin_password = password_file.read_text().strip()
        event_url = settings.SITE_URL + result.event.get_absolute_url()
        self.stdout.write(self.style.SUCCESS(f"Demo event: {event_url}"))
        self.stdout.write(f"Control panel: {settings.SITE_URL}/control/")
        if result.admin_password:
            self.stdout.write(
                self.style.WARNING(f"Admin login: {result.admin_email} / password: {result.admin_password}")
            )
        else:
            self.stdout.write(
                f"Admin login: {result.admin_email} (pass --admin-password to reset the password)"
            )
