"""The API rate limit: a sliding window from two counters per client."""

import pytest
from django.core.cache import cache
from django.test import override_settings

from eventyay.api import throttling

RATE = {"DEFAULT_THROTTLE_RATES": {"api": "4/min"}}


def requests_at(api_client, monkeypatch, moment):
    monkeypatch.setattr(throttling.ClientRateThrottle, "timer", lambda self: moment)
    return api_client.get("/api/v1/organizers/example/")


@pytest.mark.django_db
def test_the_window_slides_and_refused_requests_do_not_count(api_client, organizer, monkeypatch):
    from django.conf import settings

    cache.clear()
    start = 6000 * 60.0  # the start of a window
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, **RATE}):
        codes = [requests_at(api_client, monkeypatch, start + n).status_code for n in range(6)]
        assert codes == [200, 200, 200, 200, 429, 429]
        refused = requests_at(api_client, monkeypatch, start + 10)
        assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
        # Half a minute into the next window half of the previous window's 4 still count.
        assert requests_at(api_client, monkeypatch, start + 90).status_code == 200
        assert requests_at(api_client, monkeypatch, start + 91).status_code == 200
        assert requests_at(api_client, monkeypatch, start + 92).status_code == 429
        # A whole window later the client starts afresh: the refusals above were not counted.
        codes = [requests_at(api_client, monkeypatch, start + 180 + n).status_code for n in range(5)]
        assert codes == [200, 200, 200, 200, 429]
    cache.clear()


@pytest.mark.services
@pytest.mark.django_db
def test_with_redis_a_request_is_counted_in_one_round_trip(api_client, organizer, monkeypatch):
    # ``django.core.cache.cache`` is a proxy; the throttle must see the Redis backend behind it
    # and count with one pipelined round trip, not with Django's add/incr/get (four commands).
    from eventyay.config.redis_cache import RedisCache

    backend = throttling._backend(cache)
    assert isinstance(backend, RedisCache)
    pipelines = []
    client = backend._cache.get_client("x", write=True)
    original = type(client).pipeline

    def counting_pipeline(self, *args, **kwargs):
        pipelines.append(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(client), "pipeline", counting_pipeline)
    monkeypatch.setattr(type(backend), "incr", lambda *args, **kwargs: pytest.fail("counted with incr"))
    assert api_client.get("/api/v1/organizers/example/").status_code == 200
    assert pipelines == [{"transaction": False}]
