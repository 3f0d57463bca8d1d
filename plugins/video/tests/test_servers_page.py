"""The *Video servers* page: BigBlueButton, streaming and Janus servers of the organizer."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled
from eventyay_video.models import BBBServer, JanusServer, StreamingServer

from eventyay.base.models import User
from eventyay.base.secrets import secret_encrypt
from eventyay.base.services.teams import team_member_add, team_save

pytestmark = pytest.mark.django_db

PLAYBACK = "https://cdn.example.org/hls/{stream}/index.m3u8"
INGEST = "rtmp://ingest.example.org/live/{stream}?key={key}"


def control(event: Any, name: str, **kwargs: Any) -> str:
    return reverse(
        f"plugins:video:control.{name}",
        kwargs={"organizer": event.organizer.slug, "event": event.slug, **kwargs},
    )


def make_pool(organizer: Any, tag: str) -> dict[str, Any]:
    with scopes_disabled():
        return {
            "bbb": BBBServer.objects.create(
                organizer=organizer,
                url=f"https://bbb-{tag}.example.org/bigbluebutton/",
                secret=secret_encrypt("s"),
            ),
            "streaming": StreamingServer.objects.create(
                organizer=organizer,
                name=f"cdn-{tag}",
                ingest_url_template=INGEST,
                playback_url_template=PLAYBACK,
            ),
            "janus": JanusServer.objects.create(
                organizer=organizer, url=f"https://janus-{tag}.example.org/janus"
            ),
        }


def test_one_page_lists_the_three_pools_of_this_organizer_only(
    client_for, user, video_event, other_organizer
):
    mine = make_pool(video_event.organizer, "mine")
    make_pool(other_organizer, "theirs")
    response = client_for(user).get(control(video_event, "servers"))
    assert response.status_code == 200
    page = response.content.decode()
    for section in ('id="bbb"', 'id="streaming"', 'id="janus"'):
        assert section in page
    assert "bbb-mine.example.org" in page and "cdn-mine" in page and "janus-mine.example.org" in page
    assert "theirs" not in page
    assert control(video_event, "servers.janus", server=mine["janus"].pk) in page
    assert control(video_event, "servers.bbb", server=mine["bbb"].pk) in page
    assert control(video_event, "servers.streaming", server=mine["streaming"].pk) in page
    # The navigation has one entry for all servers, no separate Janus tab.
    assert "Video servers" in page and "/video/janus/" not in page


def test_each_form_adds_to_its_section(client_for, user, video_event, settings):
    settings.OUTGOING_HTTP_ALLOW_PRIVATE = True
    admin = client_for(user)
    servers = control(video_event, "servers")
    response = admin.post(servers, {"janus-url": "http://127.0.0.1:8088/janus", "janus-weight": "1"})
    assert (response.status_code, response["Location"]) == (302, f"{servers}#janus")
    response = admin.post(
        servers,
        {
            "stream-name": "CDN",
            "stream-ingest_url_template": INGEST,
            "stream-playback_url_template": PLAYBACK,
        },
    )
    assert (response.status_code, response["Location"]) == (302, f"{servers}#streaming")
    response = admin.post(
        servers,
        {
            "bbb-url": "http://127.0.0.1:8090/bigbluebutton/",
            "bbb-secret": "x",
            "bbb-checksum": "sha256",
            "bbb-weight": "1",
            "bbb-max_rooms": "0",
        },
    )
    assert (response.status_code, response["Location"]) == (302, f"{servers}#bbb")
    with scopes_disabled():
        assert (JanusServer.objects.count(), StreamingServer.objects.count(), BBBServer.objects.count()) == (
            1,
            1,
            1,
        )


def test_a_janus_form_error_shows_on_the_page(client_for, user, video_event):
    response = client_for(user).post(
        control(video_event, "servers"), {"janus-url": "nope", "janus-weight": "-1"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter a valid URL" in page
    with scopes_disabled():
        assert not JanusServer.objects.exists()


def test_the_janus_server_page_edits_and_removes(client_for, user, video_event, settings):
    settings.OUTGOING_HTTP_ALLOW_PRIVATE = True
    server = make_pool(video_event.organizer, "mine")["janus"]
    admin = client_for(user)
    detail = control(video_event, "servers.janus", server=server.pk)
    assert admin.get(detail).status_code == 200
    response = admin.post(detail, {"janus-url": "http://127.0.0.1:8089/janus", "janus-weight": "4"})
    assert response.status_code == 302
    server.refresh_from_db()
    assert (server.url, server.weight, server.active) == ("http://127.0.0.1:8089/janus", 4, False)
    assert admin.post(detail, {"delete": "1"})["Location"] == control(video_event, "servers") + "#janus"
    with scopes_disabled():
        assert not JanusServer.objects.exists()


def test_old_janus_addresses_redirect_permanently(client_for, user, video_event):
    server = make_pool(video_event.organizer, "mine")["janus"]
    admin = client_for(user)
    assert control(video_event, "janus").endswith("/video/janus/")  # the address bookmarks kept
    response = admin.get(control(video_event, "janus"))
    assert (response.status_code, response["Location"]) == (301, control(video_event, "servers") + "#janus")
    response = admin.get(control(video_event, "janus.server", server=server.pk))
    assert (response.status_code, response["Location"]) == (
        301,
        control(video_event, "servers.janus", server=server.pk),
    )
    response = admin.get(control(video_event, "janus.server.delete", server=server.pk))
    assert response.status_code == 301
    assert response["Location"] == control(video_event, "servers.janus", server=server.pk)
    with scopes_disabled():
        assert JanusServer.objects.filter(pk=server.pk).exists()  # a redirect never deletes


def test_another_organizers_member_gets_404(client_for, video_event, other_organizer):
    servers = make_pool(video_event.organizer, "mine")
    outsider = client_for(other_organizer.member)
    assert outsider.get(control(video_event, "servers")).status_code == 404
    for kind in ("bbb", "streaming", "janus"):
        detail = control(video_event, f"servers.{kind}", server=servers[kind].pk)
        assert outsider.get(detail).status_code == 404
        assert outsider.post(detail, {"delete": "1"}).status_code == 404
    # Through the old address as well: the redirect leads to the same 404.
    assert outsider.get(control(video_event, "janus"), follow=True).status_code == 404
    with scopes_disabled():
        assert (
            JanusServer.objects.count() == BBBServer.objects.count() == StreamingServer.objects.count() == 1
        )


def test_a_server_of_another_organizer_is_404(client_for, user, video_event, other_organizer):
    theirs = make_pool(other_organizer, "theirs")
    admin = client_for(user)
    for kind in ("bbb", "streaming", "janus"):
        detail = control(video_event, f"servers.{kind}", server=theirs[kind].pk)
        assert admin.get(detail).status_code == 404
        assert admin.post(detail, {"delete": "1"}).status_code == 404


def test_the_page_needs_the_organizer_settings_permission(client_for, organizer, video_event):
    helper = User.objects.create_user("helper@example.org", "another horse battery")
    with scopes_disabled():
        team = team_save(
            organizer=organizer, name="Video", permissions=["event.video:write"], all_events=True
        )
        team_member_add(team=team, user=helper)
    servers = make_pool(organizer, "mine")
    video_team = client_for(helper)
    assert video_team.get(control(video_event, "rooms")).status_code == 200
    assert video_team.get(control(video_event, "servers")).status_code == 403
    assert (
        video_team.post(
            control(video_event, "servers"), {"janus-url": "https://x.example.org/janus"}
        ).status_code
        == 403
    )
    for kind in ("bbb", "streaming", "janus"):
        detail = control(video_event, f"servers.{kind}", server=servers[kind].pk)
        assert video_team.get(detail).status_code == 403
        assert video_team.post(detail, {"delete": "1"}).status_code == 403
    with scopes_disabled():
        assert JanusServer.objects.count() == 1
