"""The outgoing HTTP client: address policy, pinning of the checked address, size cap, time limit.

No test leaves 127.0.0.1: a "public" address is routed to a local server by a stand-in for
the network (``internet``), and host names are answered by a stand-in resolver.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import urllib3.util.connection
from django.test import override_settings

from eventyay.base.services.http import (
    OutgoingRequestFailed,
    OutgoingRequestRefused,
    address_is_public,
    outgoing_request,
    outgoing_url_problem,
)

PUBLIC_ADDRESS = "93.184.216.34"


class Server:
    """A local HTTP server; ``respond`` decides how each request is answered."""

    def __init__(self, respond: Callable[[BaseHTTPRequestHandler], None]) -> None:
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_one(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                server.requests.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers)}
                )
                self.rfile.read(length)
                # The client hangs up on purpose once it has read enough.
                with contextlib.suppress(OSError):
                    respond(self)

            do_GET = do_POST = handle_one

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def answer(status: int, body: bytes = b"ok", headers: dict[str, str] | None = None) -> Callable:
    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return respond


@pytest.fixture
def servers() -> Iterator[Callable[[Callable], Server]]:
    started: list[Server] = []

    def start(respond: Callable) -> Server:
        started.append(Server(respond))
        return started[-1]

    yield start
    for server in started:
        server.stop()


class Internet:
    """Stands in for DNS and the network: names answer as told, one public address is routed here."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.public_port: int | None = None
        self.connected: list[tuple[str, int]] = []
        real_getaddrinfo = socket.getaddrinfo
        real_connect = urllib3.util.connection.create_connection

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
            if host in self.answers:
                queue = self.answers[host]
                addresses = queue.pop(0) if len(queue) > 1 else queue[0]
                return [
                    (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))
                    for address in addresses
                ]
            return real_getaddrinfo(host, port, *args, **kwargs)

        def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
            self.connected.append(address)
            host, port = address
            if host == PUBLIC_ADDRESS and self.public_port is not None:
                return real_connect(("127.0.0.1", self.public_port), *args, **kwargs)
            if host in ("127.0.0.1", "localhost") or host in self.answers:
                return real_connect(address, *args, **kwargs)
            raise ConnectionRefusedError(f"no route to {host} in tests")

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)


@pytest.fixture
def internet(monkeypatch: pytest.MonkeyPatch) -> Internet:
    return Internet(monkeypatch)


@pytest.mark.parametrize(
    "address",
    [
        "100.64.0.1",  # carrier-grade NAT: not private, but not public either
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "127.0.0.1",
        "127.1.2.3",
        "169.254.169.254",  # cloud metadata
        "0.0.0.0",
        "192.0.2.10",
        "198.18.0.1",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fd00::1",
        "fe80::1",
        "ff02::1",
        "ff0e::1",
        "2001:db8::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:100.64.0.1",
        "::127.0.0.1",
        "::8.8.8.8",
        "64:ff9b::7f00:1",
        "2002:7f00:1::1",
        "2002:a9fe:a9fe::1",
    ],
)
def test_addresses_that_are_not_public_are_refused(address):
    assert not address_is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["8.8.8.8", PUBLIC_ADDRESS, "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses_are_allowed(address):
    assert address_is_public(ipaddress.ip_address(address))


def test_url_problems(internet):
    internet.answers["public.test"] = [[PUBLIC_ADDRESS]]
    internet.answers["mixed.test"] = [[PUBLIC_ADDRESS, "100.64.0.1"]]
    internet.answers["cgnat.test"] = [["100.64.0.1"]]
    assert outgoing_url_problem("https://public.test/hook") is None
    assert "private" in outgoing_url_problem("https://mixed.test/hook")
    assert "private" in outgoing_url_problem("http://cgnat.test/hook")
    assert "private" in outgoing_url_problem("http://[::ffff:127.0.0.1]:8000/")
    assert "http" in outgoing_url_problem("ftp://public.test/file")
    assert "valid" in outgoing_url_problem("http://public.test:99999/")
    with pytest.raises(OutgoingRequestRefused):
        outgoing_request("GET", "http://127.0.0.1:9/")


def test_request_goes_to_the_checked_address_when_dns_changes_its_answer(internet, servers):
    """DNS rebinding: the name answers a public address for the check, then a local one."""
    public = servers(answer(200, b"public"))
    internal = servers(answer(200, b"internal secrets"))
    internet.public_port = public.port
    internet.answers["rebind.test"] = [[PUBLIC_ADDRESS], ["127.0.0.1"]]
    response = outgoing_request("GET", f"http://rebind.test:{internal.port}/status")
    assert response.status == 200 and response.body == b"public"
    assert internal.requests == []
    assert public.requests[0]["headers"]["Host"] == f"rebind.test:{internal.port}"
    assert internet.connected == [(PUBLIC_ADDRESS, internal.port)]


def test_unreachable_checked_address_fails_without_resolving_again(internet, servers):
    internal = servers(answer(200))
    internet.answers["rebind.test"] = [[PUBLIC_ADDRESS], ["127.0.0.1"]]
    with pytest.raises(OutgoingRequestFailed):
        outgoing_request("POST", f"http://rebind.test:{internal.port}/", json={"a": 1})
    assert internal.requests == []


@override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True)
def test_only_the_first_bytes_of_an_endless_body_are_read(servers):
    def endless(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        handler.end_headers()
        while True:
            handler.wfile.write(b"x" * 65536)

    server = servers(endless)
    response = outgoing_request("GET", f"http://127.0.0.1:{server.port}/", max_response_bytes=1000)
    assert response.status == 200
    assert response.body == b"x" * 1000 and response.truncated
    assert response.headers["content-type"] == "text/plain"


@override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True)
def test_small_body_is_read_whole(servers):
    server = servers(answer(201, b"created"))
    response = outgoing_request("POST", f"http://127.0.0.1:{server.port}/x?y=1", data={"name": "a b"})
    assert (response.status, response.body, response.truncated, response.ok) == (201, b"created", False, True)
    (request,) = server.requests
    assert request["path"] == "/x?y=1"
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"


@pytest.mark.timeout(60)
@override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True)
@pytest.mark.parametrize("stage", ["headers", "body"])
def test_a_receiver_dripping_bytes_is_cut_off_at_the_time_limit(servers, stage):
    """Every byte comes before the read timeout, so only a limit on the whole request stops it."""

    def drip(handler: BaseHTTPRequestHandler) -> None:
        if stage == "body":
            handler.send_response(200)
            handler.end_headers()
        else:
            handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        while True:
            handler.wfile.write(b"X-Drip: 1\r\n" if stage == "headers" else b"x")
            handler.wfile.flush()
            time.sleep(0.05)

    server = servers(drip)
    with pytest.raises(OutgoingRequestFailed, match="within 1 seconds"):
        outgoing_request("GET", f"http://127.0.0.1:{server.port}/", timeout=1)


@override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True)
def test_redirects_are_not_followed_unless_asked(servers):
    target = servers(answer(200, b"moved here"))
    server = servers(answer(302, b"", {"Location": f"http://127.0.0.1:{target.port}/new"}))
    url = f"http://127.0.0.1:{server.port}/old"
    response = outgoing_request("POST", url, json={"a": 1})
    assert response.status == 302 and target.requests == []
    followed = outgoing_request("POST", url, json={"a": 1}, allow_redirects=True)
    assert followed.status == 200 and followed.body == b"moved here"
    assert followed.url == f"http://127.0.0.1:{target.port}/new"
    assert target.requests[0]["method"] == "GET", "a 302 after POST continues with GET, like browsers"


def test_each_redirect_hop_is_checked(internet, servers):
    internal = servers(answer(200, b"internal secrets"))
    public = servers(answer(307, b"", {"Location": f"http://127.0.0.1:{internal.port}/admin"}))
    internet.public_port = public.port
    internet.answers["public.test"] = [[PUBLIC_ADDRESS]]
    with pytest.raises(OutgoingRequestRefused):
        outgoing_request("GET", f"http://public.test:{public.port}/", allow_redirects=True)
    assert len(public.requests) == 1 and internal.requests == []


@override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True)
def test_endless_redirects_stop(servers):
    loop = servers(answer(302, b"", {"Location": "/again"}))
    with pytest.raises(OutgoingRequestFailed, match="redirects"):
        outgoing_request("GET", f"http://127.0.0.1:{loop.port}/", allow_redirects=True)


@pytest.mark.django_db
def test_webhook_delivery_goes_to_the_checked_address_when_dns_changes_its_answer(
    internet, servers, organizer, django_capture_on_commit_callbacks
):
    from django_scopes import scope, scopes_disabled

    from eventyay.base.models import WebHook, WebHookDelivery
    from eventyay.base.services.webhooks import webhook_deliver, webhook_emit

    public = servers(answer(200, b"public"))
    internal = servers(answer(200, b"internal secrets"))
    internet.public_port = public.port
    internet.answers["rebind.test"] = [[PUBLIC_ADDRESS], ["127.0.0.1"]]
    with scope(organizer=organizer), django_capture_on_commit_callbacks(execute=False):
        WebHook.objects.create(
            organizer=organizer, target_url=f"http://rebind.test:{internal.port}/hook", action_types=["x"]
        )
        (delivery,) = webhook_emit(organizer=organizer, action="x", object_id=1)
    assert webhook_deliver(delivery_pk=delivery.pk) is True
    assert internal.requests == [] and len(public.requests) == 1
    with scopes_disabled():
        assert WebHookDelivery.objects.get(pk=delivery.pk).response_body == "public"


def _certificate_authority(tmp_path: Any, host: str) -> tuple[str, str, str]:
    """A CA file, and a certificate and key for ``host`` signed by it."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def certificate(subject: str, key: Any, issuer: str, issuer_key: Any, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            ).add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        else:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False
            ).add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
            )
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    paths = [str(tmp_path / name) for name in ("ca.pem", "leaf.pem", "leaf.key")]
    pem = serialization.Encoding.PEM
    with open(paths[0], "wb") as out:
        out.write(certificate("Test CA", ca_key, "Test CA", ca_key, True).public_bytes(pem))
    with open(paths[1], "wb") as out:
        out.write(certificate(host, leaf_key, "Test CA", ca_key, False).public_bytes(pem))
    with open(paths[2], "wb") as out:
        out.write(
            leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
    return paths[0], paths[1], paths[2]


def test_https_to_a_pinned_address_verifies_the_certificate_of_the_host_name(
    internet, servers, tmp_path, monkeypatch
):
    import ssl

    import requests.utils

    ca, leaf, key = _certificate_authority(tmp_path, "secure.test")
    server = servers(answer(200, b"over tls"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(leaf, key)
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    monkeypatch.setattr(requests.utils, "DEFAULT_CA_BUNDLE_PATH", ca)
    internet.public_port = server.port
    internet.answers["secure.test"] = [[PUBLIC_ADDRESS]]
    internet.answers["impostor.test"] = [[PUBLIC_ADDRESS]]
    response = outgoing_request("GET", f"https://secure.test:{server.port}/")
    assert response.body == b"over tls"
    assert internet.connected == [(PUBLIC_ADDRESS, server.port)]
    with pytest.raises(OutgoingRequestFailed, match="certificate"):
        outgoing_request("GET", f"https://impostor.test:{server.port}/")
