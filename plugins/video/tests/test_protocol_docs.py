"""The websocket protocol reference documents every action the consumer answers."""

from __future__ import annotations

import re
from pathlib import Path

from eventyay_video.consumers import VideoConsumer

REFERENCE = Path(__file__).resolve().parents[3] / "doc" / "api" / "video-protocol.rst"
#: Handled by the consumer itself, before the action table.
FRAMING_ACTIONS = {"ping", "authenticate"}


def documented_actions(text: str) -> set[str]:
    """Section titles that are one literal (````name````) underlined with ``~``."""
    lines = text.splitlines()
    found = set()
    for title, underline in zip(lines, lines[1:], strict=False):
        match = re.fullmatch(r"``([a-z0-9_.]+)``", title.strip())
        if match and underline and set(underline) == {"~"} and len(underline) >= len(title):
            found.add(match.group(1))
    return found


def test_every_action_is_documented() -> None:
    actions = set(VideoConsumer.ACTIONS) | FRAMING_ACTIONS
    missing = sorted(actions - documented_actions(REFERENCE.read_text(encoding="utf-8")))
    assert not missing, f"undocumented websocket actions in {REFERENCE.name}: {missing}"


def test_the_reference_names_no_action_that_does_not_exist() -> None:
    actions = set(VideoConsumer.ACTIONS) | FRAMING_ACTIONS
    stale = sorted(documented_actions(REFERENCE.read_text(encoding="utf-8")) - actions)
    assert not stale, f"{REFERENCE.name} documents actions the server does not have: {stale}"


def test_the_parser_finds_titled_actions_only() -> None:
    text = "``chat.send``\n~~~~~~~~~~~~~\n\nSee ``chat.join``.\n\n``short``\n~~~\n"
    assert documented_actions(text) == {"chat.send"}
