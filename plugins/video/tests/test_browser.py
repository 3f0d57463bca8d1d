"""Two people chat on the attendee page in headless Chromium (two browser contexts)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class ServerThread(threading.Thread):
    """uvicorn serving the project's ASGI app in this process, so it shares the test database."""

    def __init__(self) -> None:
        import uvicorn

        super().__init__(daemon=True)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            "eventyay.config.asgi:application",
            host="127.0.0.1",
            port=self.port,
            lifespan="off",
            log_level="warning",
        )
        self.server = uvicorn.Server(config)

    def run(self) -> None:
        self.server.run()

    def __enter__(self) -> str:
        self.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.join(timeout=10)


def test_two_attendees_chat_on_the_video_page(video_event, room, token_for, chromium):
    path = f"/{video_event.organizer.slug}/{video_event.slug}/video/"
    with ServerThread() as base:
        alice_context = chromium.new_context()
        bob_context = chromium.new_context()
        alice = alice_context.new_page()
        bob = bob_context.new_page()
        errors: list[str] = []
        for page in (alice, bob):
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.set_default_timeout(15000)
        alice.goto(base + path + "?token=" + token_for(uid="ticket:alice", name="Alice"))
        bob.goto(base + path + "?token=" + token_for(uid="ticket:bob", name="Bob"))
        for page, name in ((alice, "Alice"), (bob, "Bob")):
            page.wait_for_function(
                "name => document.getElementById('video-status').textContent.includes(name)", arg=name
            )
            assert "token=" not in page.url
            page.locator("#video-room-name", has_text="Main stage").wait_for()
            page.locator("#video-chat-input").wait_for(state="visible")

        alice.get_by_label("Your message").fill("Hello from Alice")
        alice.keyboard.press("Enter")
        bob.locator("#video-chat-log li", has_text="Hello from Alice").wait_for()
        bob.get_by_label("Your message").fill("Hi Alice, Bob here")
        bob.get_by_role("button", name="Send").click()
        alice.locator("#video-chat-log li", has_text="Bob here").wait_for()
        assert alice.get_attribute("#video-chat-log", "aria-live") == "polite"

        bob.get_by_label("Your question").fill("Will there be a recording?")
        bob.keyboard.press("Enter")
        alice.locator("#video-question-list li", has_text="recording").wait_for()

        bob.reload()
        bob.locator("#video-chat-log li", has_text="Hello from Alice").wait_for()
        assert errors == []
        alice_context.close()
        bob_context.close()
