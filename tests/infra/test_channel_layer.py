"""The Redis channel layer as configured: an idle receive waits, it does not fail."""

from __future__ import annotations

import asyncio

import pytest
from channels.layers import get_channel_layer
from django.conf import settings

pytestmark = pytest.mark.services


def test_a_receive_that_waits_longer_than_one_blocking_pop_still_gets_the_message():
    # channels-redis blocks 5 s per BZPOPMIN. With redis-py's default 5 s read timeout the
    # read raced the pop, failed with a timeout and dropped the connection (losing a message
    # that Redis had already popped); a process that had been quiet for 5 s missed broadcasts.
    layer = get_channel_layer()
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"

    async def scenario() -> dict:
        channel = await layer.new_channel()

        async def send_later() -> None:
            await asyncio.sleep(layer.brpop_timeout + 2)
            await layer.send(channel, {"type": "test.message", "n": 1})

        sender = asyncio.get_running_loop().create_task(send_later())
        try:
            return await asyncio.wait_for(layer.receive(channel), timeout=layer.brpop_timeout * 3)
        finally:
            await sender
            await layer.flush()

    message = asyncio.run(scenario())
    assert message == {"type": "test.message", "n": 1}
