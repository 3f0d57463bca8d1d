"""Old pretalx links of an imported event lead to the same talk and speaker pages here."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from django_scopes import scopes_disabled

from eventyay.base.models import Event
from eventyay.testing.source_server import fake_source

from .test_import_pretalx import FIXTURES, TOKEN, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported_event(organizer: Any) -> Event:
    with override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True), fake_source(FIXTURES, token=TOKEN) as source:
        run(source, organizer)
    with scopes_disabled():
        Event.objects.filter(organizer=organizer, slug="imported").update(live=True)
        return Event.objects.get(organizer=organizer, slug="imported")


def test_talk_and_speaker_links_redirect_permanently(client: Any, imported_event: Event) -> None:
    talk = client.get("/democon/talk/98BQRB/")
    assert (talk.status_code, talk["Location"]) == (301, "/example/imported/talk/98BQRB/")
    speaker = client.get("/democon/speaker/TRDAAC/")
    assert (speaker.status_code, speaker["Location"]) == (301, "/example/imported/speaker/TRDAAC/")
    assert client.get(talk["Location"]).status_code == 200


def test_unknown_codes_and_events_are_not_found(client: Any, imported_event: Event) -> None:
    assert client.get("/democon/talk/NOSUCH/").status_code == 404
    assert client.get("/othercon/talk/98BQRB/").status_code == 404
    # A speaker code is not a talk code.
    assert client.get("/democon/talk/TRDAAC/").status_code == 404


def test_events_that_are_not_live_are_not_revealed(client: Any, imported_event: Event) -> None:
    with scopes_disabled():
        Event.objects.filter(pk=imported_event.pk).update(live=False)
    assert client.get("/democon/talk/98BQRB/").status_code == 404
