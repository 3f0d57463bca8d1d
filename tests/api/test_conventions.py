import pytest
from django.core.cache import cache
from django.test import override_settings
from django_scopes import scope

from eventyay.api.models import IdempotencyKey
from eventyay.base.models import Event

EVENT = {"slug": "idem", "name": {"en": "Idempotent"}, "date_from": "2030-01-01T10:00:00Z"}


@pytest.mark.django_db
def test_repeat_with_same_key_and_body_replays_and_changes_nothing(api_client, organizer):
    first = api_client.post(
        "/api/v1/organizers/example/events/", EVENT, format="json", HTTP_X_IDEMPOTENCY_KEY="k1"
    )
    assert first.status_code == 201
    again = api_client.post(
        "/api/v1/organizers/example/events/", EVENT, format="json", HTTP_X_IDEMPOTENCY_KEY="k1"
    )
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["X-Idempotency-Replayed"] == "true"
    with scope(organizer=organizer):
        assert Event.objects.filter(slug="idem").count() == 1


@pytest.mark.django_db
def test_same_key_with_other_body_is_409(api_client, organizer):
    api_client.post("/api/v1/organizers/example/events/", EVENT, format="json", HTTP_X_IDEMPOTENCY_KEY="k2")
    other = api_client.post(
        "/api/v1/organizers/example/events/",
        {**EVENT, "slug": "other"},
        format="json",
        HTTP_X_IDEMPOTENCY_KEY="k2",
    )
    assert other.status_code == 409
    assert "detail" in other.json()


@pytest.mark.django_db
def test_keys_of_different_clients_do_not_collide(
    api_client, client_with_token, token_for, admin_team, organizer
):
    api_client.post("/api/v1/organizers/example/events/", EVENT, format="json", HTTP_X_IDEMPOTENCY_KEY="k3")
    second = client_with_token(token_for(admin_team, name="second"))
    response = second.post(
        "/api/v1/organizers/example/events/",
        {**EVENT, "slug": "idem2"},
        format="json",
        HTTP_X_IDEMPOTENCY_KEY="k3",
    )
    assert response.status_code == 201
    assert IdempotencyKey.objects.filter(key="k3").count() == 2


@pytest.mark.django_db
def test_throttled_client_gets_429_with_retry_after(api_client, organizer):
    cache.clear()
    rest = {
        "DEFAULT_THROTTLE_CLASSES": ["eventyay.api.throttling.ClientRateThrottle"],
        "DEFAULT_THROTTLE_RATES": {"api": "3/min"},
    }
    from django.conf import settings

    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, **rest}):
        codes = [api_client.get("/api/v1/organizers/example/").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        response = api_client.get("/api/v1/organizers/example/")
        assert int(response["Retry-After"]) > 0
        assert "detail" in response.json()
    cache.clear()
