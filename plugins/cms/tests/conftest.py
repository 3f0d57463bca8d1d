"""Fixtures of the CMS plugin's tests: an in-process and a real WordPress, a real Wagtail site,
connections."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from django_scopes import scope

from eventyay.testing.servers import free_port

from . import realwordpress
from .fakewordpress import FakeWordPress

HERE = Path(__file__).resolve().parent
APP_PASSWORD = "abcd EFGH ijkl MNOP qrst UVWX"


@pytest.fixture(autouse=True)
def _private_targets(settings: Any) -> None:
    """The CMSs of these tests run on 127.0.0.1, which the SSRF guard refuses by default."""
    settings.OUTGOING_HTTP_ALLOW_PRIVATE = True


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def cms_event(make_event: Callable[..., Any]) -> Any:
    return make_event(
        slug="cmsconf",
        plugins=["cms", "talk"],
        live=True,
        timezone="UTC",
        date_from=dt.datetime(2030, 6, 1, 7, 0, tzinfo=dt.UTC),
        date_to=dt.datetime(2030, 6, 2, 18, 0, tzinfo=dt.UTC),
    )


@pytest.fixture
def wordpress() -> Iterator[FakeWordPress]:
    fake = FakeWordPress(app_password=APP_PASSWORD).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def real_wordpress(tmp_path_factory: pytest.TempPathFactory) -> Iterator[realwordpress.RealWordPress]:
    """A real WordPress (Debian's package, MariaDB, ``php -S``) for the whole session."""
    if not realwordpress.available():
        pytest.skip("needs php and Debian's wordpress package (/usr/share/wordpress)")
    site = realwordpress.RealWordPress(tmp_path_factory.mktemp("wordpress"), free_port(), APP_PASSWORD)
    site.start()
    yield site
    site.stop()


@pytest.fixture(params=["fake", pytest.param("real", marks=pytest.mark.services)])
def contract_wordpress(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The WordPress of the contract tests: the in-process fake, then the real one (emptied)."""
    if request.param == "real":
        site = request.getfixturevalue("real_wordpress")
        site.reset()
        yield site
        return
    fake = FakeWordPress(app_password=APP_PASSWORD).start()
    yield fake
    fake.stop()


@pytest.fixture
def make_connection(cms_event: Any) -> Callable[..., Any]:
    from eventyay_cms.services.connections import connection_save

    def factory(**data: Any) -> Any:
        with scope(organizer=cms_event.organizer):
            return connection_save(event=cms_event, data=data)

    return factory


@pytest.fixture
def wp_connection(wordpress: FakeWordPress, make_connection: Callable[..., Any]) -> Any:
    return make_connection(
        type="wordpress",
        base_url=wordpress.url,
        username="editor",
        password=APP_PASSWORD,
        pull=["pages", "posts"],
        push=["schedule", "speakers"],
    )


def signed(
    connection: Any, body: bytes, *, timestamp: int | None = None, secret: str | None = None
) -> dict[str, str]:
    from eventyay_cms.connectors.base import sign

    stamp = int(time.time()) if timestamp is None else timestamp
    key = secret if secret is not None else connection.signing_secret().reveal()
    return {"HTTP_X_EVENTYAY_TIMESTAMP": str(stamp), "HTTP_X_EVENTYAY_SIGNATURE": sign(key, stamp, body)}


@pytest.fixture
def released(cms_event: Any, django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """``released()``: a schedule with two confirmed sessions by two speakers, released."""
    from eventyay_talk.models import SubmissionType, TalkSlot
    from eventyay_talk.services.schedule import room_save, schedule_release, slot_schedule, wip_schedule
    from eventyay_talk.services.submissions import (
        speaker_profile_update,
        submission_create,
        submission_state_change,
    )

    from eventyay.base.models import User

    def factory() -> Any:
        with scope(organizer=cms_event.organizer):
            kind = SubmissionType.objects.create(event=cms_event, name={"en": "Talk"}, default_duration=30)
            room = room_save(
                event=cms_event, data={"name": {"en": "Main hall"}, "capacity": 100, "position": 0}
            )
            talks = []
            for _index, (email, name, title) in enumerate(
                [
                    ("ada@example.org", "Ada", "Engines <of> thought"),
                    ("grace@example.org", "Grace", "Compilers"),
                ]
            ):
                user = User.objects.create_user(email, "speaker horse battery", fullname=name)
                submission = submission_create(
                    event=cms_event,
                    speaker=user,
                    data={"title": title, "abstract": f"About {title}", "submission_type": kind},
                    submit=True,
                )
                speaker_profile_update(
                    event=cms_event, user=user, data={"name": name, "biography": f"{name} bio"}
                )
                for step in ("accepted", "confirmed"):
                    submission_state_change(submission=submission, new_state=step, send_mail=False)
                talks.append(submission)
            wip = wip_schedule(event=cms_event)
            for index, submission in enumerate(talks):
                slot = TalkSlot.objects.get(schedule=wip, submission=submission)
                slot_schedule(
                    slot=slot, room=room, start=dt.datetime(2030, 6, 1, 10 + index, 0, tzinfo=dt.UTC)
                )
            with django_capture_on_commit_callbacks(execute=True):
                schedule = schedule_release(event=cms_event, version="v1", notify_speakers=False)
        return SimpleNamespace(schedule=schedule, talks=talks)

    return factory


# --- a real Wagtail site ------------------------------------------------------------------------


def _wagtail_env(db: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("EVENTYAY_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="wagtail_site.settings",
        WAGTAIL_TEST_DB=str(db),
        PYTHONPATH=str(HERE) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    return env


def _template_db() -> Path:
    """A migrated database of the test site, built once per Wagtail version and migration set.

    Migrating Wagtail takes long on a busy machine; later sessions copy the file.
    """
    import wagtail

    digest = hashlib.sha256(wagtail.__version__.encode())
    for path in sorted((HERE / "wagtail_site").rglob("*.py")):
        digest.update(path.read_bytes())
    template = Path(tempfile.gettempdir()) / f"eventyay-cms-wagtail-{digest.hexdigest()[:16]}.sqlite3"
    if not template.exists():
        building = template.with_suffix(f".{os.getpid()}.tmp")
        subprocess.run(
            [sys.executable, "-m", "django", "migrate", "--noinput", "-v0"],
            env=_wagtail_env(building),
            cwd=HERE,
            check=True,
            timeout=600,
        )
        os.replace(building, template)
    return template


@pytest.fixture(scope="session")
def wagtail_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """A real Wagtail site (API v2) served by a subprocess for the whole session.

    ``site.create(title, slug, body)``, ``site.edit(id, ...)`` and ``site.delete(id)`` change its
    pages as an editor would (publishing a revision).
    """
    directory = tmp_path_factory.mktemp("wagtail")
    db = directory / "site.sqlite3"
    shutil.copy(_template_db(), db)
    port = free_port()
    log = directory / "server.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload", "--nothreading"],
            env=_wagtail_env(db),
            cwd=HERE,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"the Wagtail site exited:\n{log.read_text()}")
                try:
                    if requests.get(f"{base}/api/v2/pages/", timeout=30).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the Wagtail site did not answer:\n{log.read_text()}")
                time.sleep(0.3)

            def manage(**data: Any) -> int:
                response = requests.post(f"{base}/_test/pages/", data=json.dumps(data), timeout=30)
                response.raise_for_status()
                return int(response.json()["id"])

            yield SimpleNamespace(
                url=base,
                create=lambda title, slug, body="": manage(
                    action="create", title=title, slug=slug, body=body
                ),
                edit=lambda number, **changes: manage(action="edit", id=number, **changes),
                delete=lambda number: manage(action="delete", id=number),
            )
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
