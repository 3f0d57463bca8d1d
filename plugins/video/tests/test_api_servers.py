"""``/api/v1/organizers/<org>/video/{bbb,streaming,janus}-servers/``: the server pools."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled
from eventyay_video.models import BBBServer, JanusServer, Room, RoomStream, StreamingServer
from rest_framework.test import APIClient

from eventyay.base.models import LogEntry
from eventyay.base.secrets import secret_decrypt, secret_encrypt
from eventyay.base.services.teams import team_save, token_create

pytestmark = pytest.mark.django_db

PLAYBACK = "https://cdn.example.org/hls/{stream}/index.m3u8"
INGEST = "rtmp://ingest.example.org/live/{stream}?key={key}"


def url(organizer, kind: str, pk: int | None = None) -> str:
    base = f"/api/v1/organizers/{organizer.slug}/video/{kind}-servers/"
    return f"{base}{pk}/" if pk is not None else base


def client_with_permissions(organizer, permissions: list[str]) -> APIClient:
    with scopes_disabled():
        team = team_save(organizer=organizer, name="Limited", permissions=permissions, all_events=True)
        _token, secret = token_create(team=team, name="limited")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def make_servers(organizer, count: int) -> None:
    with scopes_disabled():
        for n in range(count):
            BBBServer.objects.create(
                organizer=organizer,
                url=f"https://bbb{n}.example.org/bigbluebutton/",
                secret=secret_encrypt("s"),
            )
            StreamingServer.objects.create(
                organizer=organizer, name=f"S{n}", ingest_url_template=INGEST, playback_url_template=PLAYBACK
            )
            JanusServer.objects.create(organizer=organizer, url=f"https://janus{n}.example.org/janus")


def test_bbb_servers_crud_with_a_write_only_encrypted_secret(api_client, organizer, settings):
    settings.OUTGOING_HTTP_ALLOW_PRIVATE = True  # the test servers' addresses
    created = api_client.post(
        url(organizer, "bbb"),
        {"url": "http://127.0.0.1:8090/bigbluebutton/", "secret": "very-secret-value", "weight": 3},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["has_secret"] is True and "secret" not in body
    assert (body["weight"], body["checksum"], body["active"]) == (3, "sha256", True)
    with scopes_disabled():
        server = BBBServer.objects.get(pk=body["id"])
        raw = BBBServer.objects.filter(pk=server.pk).values_list("secret", flat=True).get()
        entry = LogEntry.objects.get(action_type="eventyay_video.bbb_server.created")
    assert "very-secret-value" not in raw
    assert secret_decrypt(raw).reveal() == "very-secret-value"
    assert "very-secret-value" not in str(entry.data)

    listed = api_client.get(url(organizer, "bbb"))
    assert listed.status_code == 200
    assert [s["id"] for s in listed.json()["results"]] == [server.pk]
    assert "very-secret-value" not in listed.content.decode()

    # A PATCH without the secret keeps it and the other fields.
    changed = api_client.patch(url(organizer, "bbb", server.pk), {"max_rooms": 20}, format="json")
    assert changed.status_code == 200, changed.content
    server.refresh_from_db()
    assert (server.max_rooms, server.weight) == (20, 3)
    assert secret_decrypt(server.secret).reveal() == "very-secret-value"
    api_client.patch(url(organizer, "bbb", server.pk), {"secret": "another-one"}, format="json")
    server.refresh_from_db()
    assert secret_decrypt(server.secret).reveal() == "another-one"

    replaced = api_client.put(
        url(organizer, "bbb", server.pk),
        {"url": "http://127.0.0.1:8091/bigbluebutton/", "checksum": "sha1", "active": False},
        format="json",
    )
    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["checksum"] == "sha1" and replaced.json()["active"] is False

    assert api_client.delete(url(organizer, "bbb", server.pk)).status_code == 204
    with scopes_disabled():
        assert not BBBServer.objects.exists()
        assert LogEntry.objects.filter(action_type="eventyay_video.bbb_server.deleted").count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "not a url", "secret": "x"}, "url"),
        ({"url": "http://127.0.0.1:8090/b/"}, "secret"),
        ({"url": "http://127.0.0.1:8090/b/", "secret": "x", "weight": -1}, "weight"),
        ({"url": "http://127.0.0.1:8090/b/", "secret": "x", "checksum": "md5"}, "checksum"),
    ],
)
def test_bad_bbb_input_is_400_naming_the_field(api_client, organizer, settings, payload, field):
    settings.OUTGOING_HTTP_ALLOW_PRIVATE = True
    response = api_client.post(url(organizer, "bbb"), payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    with scopes_disabled():
        assert not BBBServer.objects.exists()


def test_streaming_servers_crud(api_client, organizer):
    created = api_client.post(
        url(organizer, "streaming"),
        {"name": "CDN", "ingest_url_template": INGEST, "playback_url_template": PLAYBACK},
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    changed = api_client.patch(url(organizer, "streaming", pk), {"name": "Main CDN"}, format="json")
    assert changed.status_code == 200 and changed.json()["name"] == "Main CDN"
    assert changed.json()["playback_url_template"] == PLAYBACK
    with scopes_disabled():
        assert (
            LogEntry.objects.filter(action_type__startswith="eventyay_video.streaming_server.").count() == 2
        )
    assert api_client.delete(url(organizer, "streaming", pk)).status_code == 204


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "", "ingest_url_template": INGEST, "playback_url_template": PLAYBACK}, "name"),
        (
            {"name": "A", "ingest_url_template": "rtmp://x/{stream}", "playback_url_template": PLAYBACK},
            "ingest_url_template",
        ),
        (
            {"name": "A", "ingest_url_template": INGEST, "playback_url_template": "https://x/{stream}/{key}"},
            "playback_url_template",
        ),
        (
            {"name": "A", "ingest_url_template": INGEST, "playback_url_template": "ftp://x/{stream}"},
            "playback_url_template",
        ),
    ],
)
def test_bad_streaming_input_is_400_naming_the_field(api_client, organizer, payload, field):
    response = api_client.post(url(organizer, "streaming"), payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_a_streaming_server_in_use_is_not_deleted(api_client, organizer, video_event):
    with scopes_disabled():
        server = StreamingServer.objects.create(
            organizer=organizer, name="CDN", ingest_url_template=INGEST, playback_url_template=PLAYBACK
        )
        room = Room.objects.create(event=video_event, name="Hall")
        RoomStream.objects.create(
            room=room, server=server, stream="abc", key=secret_encrypt("k"), key_rotated=timezone.now()
        )
    response = api_client.delete(url(organizer, "streaming", server.pk))
    assert response.status_code == 400
    with scopes_disabled():
        assert StreamingServer.objects.filter(pk=server.pk).exists()


def test_janus_servers_crud_with_write_only_secrets(api_client, organizer, settings):
    settings.OUTGOING_HTTP_ALLOW_PRIVATE = True
    created = api_client.post(
        url(organizer, "janus"),
        {
            "url": "http://127.0.0.1:8088/janus",
            "weight": 2,
            "api_secret": "janus-api-secret",
            "admin_key": "janus-admin-key",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["has_api_secret"] is True and body["has_admin_key"] is True
    assert (
        "janus-api-secret" not in created.content.decode()
        and "janus-admin-key" not in created.content.decode()
    )
    with scopes_disabled():
        raw = JanusServer.objects.filter(pk=body["id"]).values("api_secret", "admin_key").get()
        entry = LogEntry.objects.get(action_type="eventyay_video.janus_server.created")
    assert "janus-api-secret" not in raw["api_secret"] and "janus-admin-key" not in raw["admin_key"]
    assert secret_decrypt(raw["api_secret"]).reveal() == "janus-api-secret"
    assert "janus-" not in str(entry.data)

    # Left out, a secret stays; an empty string removes it.
    changed = api_client.patch(
        url(organizer, "janus", body["id"]), {"weight": 0, "admin_key": ""}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["weight"], changed.json()["has_api_secret"], changed.json()["has_admin_key"]) == (
        0,
        True,
        False,
    )
    assert api_client.get(url(organizer, "janus", body["id"])).json()["url"] == "http://127.0.0.1:8088/janus"
    assert api_client.delete(url(organizer, "janus", body["id"])).status_code == 204
    with scopes_disabled():
        assert not JanusServer.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "janus"}, "url"),
        ({"url": "http://127.0.0.1:8088/janus", "weight": -1}, "weight"),
        ({"url": "http://127.0.0.1:8088/janus", "weight": 5000}, "weight"),
    ],
)
def test_bad_janus_input_is_400_naming_the_field(api_client, organizer, settings, payload, field):
    settings.OUTGOING_HTTP_ALLOW_PRIVATE = True
    response = api_client.post(url(organizer, "janus"), payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.parametrize(("kind", "payload"), [("bbb", {"secret": "x"}), ("janus", {})])
def test_urls_in_private_networks_are_refused(api_client, organizer, kind, payload):
    for address in ("http://127.0.0.1:8088/api/", "http://10.0.0.1/janus"):
        response = api_client.post(url(organizer, kind), {"url": address, **payload}, format="json")
        assert response.status_code == 400, response.content
        assert "private network" in response.json()["url"][0]


@pytest.mark.parametrize("kind", ["bbb", "streaming", "janus"])
def test_another_organizers_token_gets_404(organizer, other_organizer, kind):
    make_servers(organizer, 1)
    with scopes_disabled():
        pk = {"bbb": BBBServer, "streaming": StreamingServer, "janus": JanusServer}[kind].objects.get().pk
        team = other_organizer.teams.get(name="Administrators")
        _token, secret = token_create(team=team, name="other")
    outsider = APIClient()
    outsider.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert outsider.get(url(organizer, kind)).status_code == 404
    assert outsider.get(url(organizer, kind, pk)).status_code == 404
    assert outsider.delete(url(organizer, kind, pk)).status_code == 404
    # Its own organizer's list does not show the first organizer's servers either.
    assert outsider.get(url(other_organizer, kind)).json()["results"] == []
    assert outsider.get(url(other_organizer, kind, pk)).status_code == 404


@pytest.mark.parametrize("kind", ["bbb", "streaming", "janus"])
def test_a_token_without_the_organizer_settings_permission_gets_403(organizer, kind):
    make_servers(organizer, 1)
    client = client_with_permissions(organizer, ["event.video:write"])
    assert client.get(url(organizer, kind)).status_code == 403
    assert (
        client.post(url(organizer, kind), {"url": "https://x.example.org/"}, format="json").status_code == 403
    )
    allowed = client_with_permissions(organizer, ["organizer.settings:write"])
    assert allowed.get(url(organizer, kind)).status_code == 200


@pytest.mark.parametrize("kind", ["bbb", "streaming", "janus"])
def test_list_takes_the_same_queries_for_2_and_20_servers(api_client, organizer, kind):
    def queries(count: int) -> int:
        with scopes_disabled():
            BBBServer.objects.all().delete()
            StreamingServer.objects.all().delete()
            JanusServer.objects.all().delete()
        make_servers(organizer, count)
        api_client.get(url(organizer, kind))  # warm the caches
        with CaptureQueriesContext(connection) as captured:
            response = api_client.get(url(organizer, kind))
        assert response.status_code == 200 and response.json()["count"] == count
        return len(captured)

    assert queries(2) == queries(20)
