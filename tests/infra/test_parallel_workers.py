from eventyay.testing.xdist import redis_url_for_worker


def test_each_worker_gets_the_next_redis_database() -> None:
    assert redis_url_for_worker("redis://127.0.0.1:6379/3", "gw0") == "redis://127.0.0.1:6379/3"
    assert redis_url_for_worker("redis://127.0.0.1:6379/3", "gw1") == "redis://127.0.0.1:6379/4"


def test_a_url_without_database_starts_at_zero() -> None:
    assert redis_url_for_worker("redis://:secret@cache:6380", "gw2") == "redis://:secret@cache:6380/2"
