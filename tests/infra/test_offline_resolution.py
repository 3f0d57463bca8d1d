"""Tests resolve no host name but ``localhost``: they never wait for the machine's resolver."""

from __future__ import annotations

import socket
import time

import pytest

from eventyay.base.services.http import outgoing_url_problem


def test_a_host_name_fails_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(socket.gaierror) as raised:
        socket.getaddrinfo("webhook.example.org", 443)
    assert raised.value.errno == socket.EAI_NONAME
    assert time.monotonic() - started < 0.05


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "::1", b"localhost"])
def test_localhost_and_address_literals_resolve(host: str | bytes) -> None:
    addresses = {info[4][0] for info in socket.getaddrinfo(host, 80, type=socket.SOCK_STREAM)}
    assert addresses & {"127.0.0.1", "::1"}


def test_a_saved_url_with_a_host_name_is_refused_as_unresolvable() -> None:
    assert outgoing_url_problem("https://webhook.example.org/") == "The host name could not be resolved."


def test_a_test_patches_resolution_over_the_offline_resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    def resolve(host: str, port: int, *args: object, **kwargs: object) -> list[object]:
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("93.184.215.14", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    assert outgoing_url_problem("https://webhook.example.org/") is None
