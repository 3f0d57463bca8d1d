import pytest
from django.test import override_settings
from django_scopes import scope

from eventyay.base.models import Event, WebHook


@pytest.mark.django_db
def test_root_needs_no_authentication(client):
    response = client.get("/api/v1/")
    assert response.status_code == 200
    assert response.json()["api_version"] == 1


@pytest.mark.django_db
def test_unauthenticated_request_is_401_with_detail(client, organizer):
    response = client.get("/api/v1/organizers/example/events/")
    assert response.status_code == 401
    assert "detail" in response.json()


@pytest.mark.django_db
def test_me_describes_the_token(api_client):
    data = api_client.get("/api/v1/me").json()
    assert data["type"] == "token"
    assert data["organizer"] == "example"
    assert data["team"] == "Administrators"


@pytest.mark.django_db
def test_plugins_list_has_metadata_and_hooks(api_client):
    data = api_client.get("/api/v1/plugins/").json()
    assert set(data) == {"count", "next", "previous", "results"}
    for plugin in data["results"]:
        assert {"name", "module", "compatible", "hooks"} <= set(plugin)
        if not plugin["compatible"]:
            assert plugin["error"]


@pytest.mark.django_db
def test_event_list_is_paginated_with_capped_page_size(api_client, make_event):
    for number in range(5):
        make_event(slug=f"conf{number}")
    data = api_client.get("/api/v1/organizers/example/events/?page_size=2").json()
    assert data["count"] == 5
    assert len(data["results"]) == 2
    assert data["previous"] is None
    assert "page=2" in data["next"]
    last = api_client.get("/api/v1/organizers/example/events/?page_size=2&page=3").json()
    assert len(last["results"]) == 1 and last["next"] is None
    capped = api_client.get("/api/v1/organizers/example/events/?page_size=100000").json()
    assert len(capped["results"]) == 5
    assert api_client.get("/api/v1/organizers/example/events/?page=99").status_code == 404


@pytest.mark.django_db
def test_event_list_filters_and_ordering(api_client, make_event):
    make_event(slug="alpha", live=False)
    make_event(slug="beta", live=True)
    make_event(slug="gamma", live=True)
    live = api_client.get("/api/v1/organizers/example/events/?live=true").json()
    assert [e["slug"] for e in live["results"]] == ["beta", "gamma"]
    ordered = api_client.get("/api/v1/organizers/example/events/?ordering=-slug").json()
    assert [e["slug"] for e in ordered["results"]] == ["gamma", "beta", "alpha"]
    invalid = api_client.get("/api/v1/organizers/example/events/?date_from_after=someday")
    assert invalid.status_code == 400 and "date_from_after" in invalid.json()


@pytest.mark.django_db
def test_event_list_query_count_is_constant(api_client, make_event, django_assert_max_num_queries):
    for number in range(3):
        make_event(slug=f"first{number}")
    with django_assert_max_num_queries(12) as few:
        api_client.get("/api/v1/organizers/example/events/")
    for number in range(10):
        make_event(slug=f"more{number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api_client.get("/api/v1/organizers/example/events/").json()["results"]) == 13


@pytest.mark.django_db
def test_event_create_validation_errors_name_the_field(api_client, organizer):
    response = api_client.post("/api/v1/organizers/example/events/", {"slug": "x"}, format="json")
    assert response.status_code == 400
    assert "name" in response.json() and "date_from" in response.json()
    bad_tz = api_client.post(
        "/api/v1/organizers/example/events/",
        {"slug": "tz", "name": {"en": "TZ"}, "date_from": "2030-01-01T10:00:00Z", "timezone": "Mars/Olympus"},
        format="json",
    )
    assert bad_tz.status_code == 400
    assert "timezone" in bad_tz.json()


@pytest.mark.django_db
def test_event_create_update_clone_delete(api_client, organizer):
    created = api_client.post(
        "/api/v1/organizers/example/events/",
        {"slug": "new", "name": {"en": "New"}, "date_from": "2030-01-01T10:00:00Z"},
        format="json",
    )
    assert created.status_code == 201, created.content
    changed = api_client.patch("/api/v1/organizers/example/events/new/", {"live": True}, format="json")
    assert changed.status_code == 200 and changed.json()["live"] is True
    duplicate = api_client.post(
        "/api/v1/organizers/example/events/new/clone/", {"slug": "copy"}, format="json"
    )
    assert duplicate.status_code == 201 and duplicate.json()["live"] is False
    assert api_client.delete("/api/v1/organizers/example/events/copy/").status_code == 204
    with scope(organizer=organizer):
        assert sorted(Event.objects.values_list("slug", flat=True)) == ["new"]


@pytest.mark.django_db
def test_unknown_plugin_in_patch_is_400_naming_plugins(api_client, event):
    response = api_client.patch(
        "/api/v1/organizers/example/events/conf/", {"plugins": ["no-such-plugin"]}, format="json"
    )
    assert response.status_code == 400
    assert "no-such-plugin" in response.json()["plugins"][0]


@pytest.mark.django_db
def test_plugins_field_switches_plugins_on_and_off(api_client, event):
    from eventyay.base.plugins.manager import installed_plugins

    candidates = [
        info.name for info in installed_plugins().values() if not info.restricted and not info.requires
    ]
    if not candidates:
        pytest.fail("needs at least one installed plugin without requirements")
    name = candidates[0]
    on = api_client.patch("/api/v1/organizers/example/events/conf/", {"plugins": [name]}, format="json")
    assert on.status_code == 200, on.content
    assert name in on.json()["plugins"]
    off = api_client.patch("/api/v1/organizers/example/events/conf/", {"plugins": []}, format="json")
    assert off.json()["plugins"] == []


@pytest.mark.django_db
def test_token_without_permission_gets_403_and_limited_team_sees_only_its_events(
    make_event, make_team, token_for, client_with_token
):
    first = make_event(slug="first")
    make_event(slug="second")
    team = make_team(
        name="Limited", permissions=("event.settings:read",), all_events=False, limit_events=[first]
    )
    client = client_with_token(token_for(team))
    listed = client.get("/api/v1/organizers/example/events/").json()
    assert [e["slug"] for e in listed["results"]] == ["first"]
    assert client.get("/api/v1/organizers/example/events/second/").status_code == 404
    denied = client.patch("/api/v1/organizers/example/events/first/", {"live": False}, format="json")
    assert denied.status_code == 403
    assert "detail" in denied.json()
    assert client.get("/api/v1/organizers/example/teams/").status_code == 403


@pytest.mark.django_db
def test_team_token_lifecycle_shows_secret_once(api_client, admin_team):
    base = f"/api/v1/organizers/example/teams/{admin_team.pk}/tokens/"
    created = api_client.post(base, {"name": "checkin"}, format="json")
    assert created.status_code == 201
    secret = created.json()["token"]
    listed = api_client.get(base).json()["results"]
    assert all("token" not in row or row["token"] is None for row in listed) or secret not in str(listed)
    assert api_client.delete(f"{base}{created.json()['id']}/").status_code == 204
    from rest_framework.test import APIClient

    revoked = APIClient()
    revoked.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert revoked.get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_team_invite_of_new_address_queues_mail(api_client, admin_team):
    response = api_client.post(
        f"/api/v1/organizers/example/teams/{admin_team.pk}/invites/",
        {"email": "New@Example.org"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["email"] == "new@example.org"
    member = api_client.post(
        f"/api/v1/organizers/example/teams/{admin_team.pk}/invites/",
        {"email": "member@example.org"},
        format="json",
    )
    assert member.json()["member_added"] is True


@pytest.mark.django_db
def test_team_invite_is_withdrawn_through_the_api(api_client, admin_team):
    base = f"/api/v1/organizers/example/teams/{admin_team.pk}/invites/"
    created = api_client.post(base, {"email": "late@example.org"}, format="json").json()
    assert api_client.delete(f"{base}{created['id']}/").status_code == 204
    assert api_client.get(base).json()["results"] == []
    assert api_client.delete(f"{base}{created['id']}/").status_code == 404


@pytest.mark.django_db
def test_last_member_who_manages_teams_is_kept(api_client, admin_team, user):
    members = f"/api/v1/organizers/example/teams/{admin_team.pk}/members/"
    response = api_client.delete(f"{members}{user.pk}/")
    assert response.status_code == 400
    assert "nobody who can manage" in str(response.json())
    response = api_client.patch(
        f"/api/v1/organizers/example/teams/{admin_team.pk}/", {"permissions": []}, format="json"
    )
    assert response.status_code == 400
    assert api_client.get(members).json()["count"] == 1


@pytest.mark.django_db
def test_webhook_to_private_address_is_refused(api_client, organizer):
    response = api_client.post(
        "/api/v1/organizers/example/webhooks/",
        {"target_url": "http://127.0.0.1:9/hook", "action_types": ["event.created"]},
        format="json",
    )
    assert response.status_code == 400
    assert "target_url" in response.json()


@pytest.mark.django_db
@override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True)
def test_webhook_crud_validates_action_types(api_client, organizer):
    bad = api_client.post(
        "/api/v1/organizers/example/webhooks/",
        {"target_url": "http://127.0.0.1:9/hook", "action_types": ["nope"]},
        format="json",
    )
    assert bad.status_code == 400 and "action_types" in bad.json()
    created = api_client.post(
        "/api/v1/organizers/example/webhooks/",
        {"target_url": "http://127.0.0.1:9/hook", "action_types": ["event.created"]},
        format="json",
    )
    assert created.status_code == 201
    hook_id = created.json()["id"]
    assert (
        api_client.patch(
            f"/api/v1/organizers/example/webhooks/{hook_id}/", {"enabled": False}, format="json"
        ).json()["enabled"]
        is False
    )
    assert api_client.delete(f"/api/v1/organizers/example/webhooks/{hook_id}/").status_code == 204
    with scope(organizer=organizer):
        assert not WebHook.objects.exists()


@pytest.mark.django_db
def test_session_writes_need_the_csrf_token(user, organizer):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.get("/api/v1/organizers/example/").status_code == 200
    response = browser.patch(
        "/api/v1/organizers/example/", {"name": "Renamed"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


@pytest.mark.django_db
@override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True)
def test_delivery_list_query_count_is_constant(api_client, organizer, event, django_assert_max_num_queries):
    from eventyay.base.services.webhooks import webhook_emit

    with scope(organizer=organizer):
        hook = WebHook.objects.create(
            organizer=organizer, target_url="http://127.0.0.1:9/", action_types=["x"]
        )
        url = f"/api/v1/organizers/example/webhooks/{hook.pk}/deliveries/"
        webhook_emit(event=event, action="x", object_id=1)
    with django_assert_max_num_queries(15) as few:
        api_client.get(url)
    with scope(organizer=organizer):
        for number in range(10):
            webhook_emit(event=event, action="x", object_id=number)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api_client.get(url).json()["count"] == 11
