"""Control pages: list, create, status, sync now, test connection; other organizers get 404."""

from __future__ import annotations

from django_scopes import scope
from eventyay_cms.models import Connection

from .conftest import APP_PASSWORD

BASE = "/control/event/example/cmsconf/cms/"


def test_create_then_status_test_and_sync(
    client_for, user, cms_event, wordpress, django_capture_on_commit_callbacks
):
    client = client_for(user)
    assert client.get(BASE).status_code == 200
    assert client.get(BASE + "add/").status_code == 200
    response = client.post(
        BASE + "add/",
        {
            "type": "wordpress",
            "base_url": wordpress.url,
            "username": "editor",
            "password": APP_PASSWORD,
            "pull": ["pages"],
            "conflict_policy": "eventyay_wins",
        },
    )
    assert response.status_code == 302
    with scope(organizer=cms_event.organizer):
        connection = Connection.objects.get(event=cms_event)
    assert connection.password.startswith("enc1:")

    edit = client.get(BASE + f"{connection.pk}/edit/").content.decode()
    assert APP_PASSWORD not in edit and "UVWX" in edit  # masked hint only

    tested = client.post(BASE + f"{connection.pk}/test/", follow=True).content.decode()
    assert "Connected to WordPress as Editor" in tested

    wordpress.add("pages", "Venue", "<p>v</p>", slug="venue")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(BASE + f"{connection.pk}/sync/").status_code == 302
    status = client.get(BASE + f"{connection.pk}/").content.decode()
    assert "/p/venue/" in status and APP_PASSWORD not in status

    secret_page = client.post(BASE + f"{connection.pk}/secret/")
    connection.refresh_from_db()
    assert connection.signing_secret().reveal() in secret_page.content.decode()
    assert secret_page["Cache-Control"] == "no-store"


def test_bad_url_is_a_form_error(client_for, user, cms_event):
    response = client_for(user).post(
        BASE + "add/", {"type": "wordpress", "base_url": "http://", "conflict_policy": "eventyay_wins"}
    )
    assert response.status_code == 200 and "base_url" in response.content.decode()


def test_members_of_another_organizer_get_404(client_for, other_organizer, wp_connection):
    client = client_for(other_organizer.member)
    for path in ("", "add/", f"{wp_connection.pk}/", f"{wp_connection.pk}/edit/"):
        assert client.get(BASE + path).status_code == 404
    for path in ("sync/", "test/", "secret/", "delete/"):
        assert client.post(BASE + f"{wp_connection.pk}/{path}").status_code == 404
    with scope(organizer=wp_connection.event.organizer):
        assert Connection.objects.filter(pk=wp_connection.pk).exists()
