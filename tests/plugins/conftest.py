"""Fixtures for the plugin contract tests: event A has the dummy plugin, event B does not."""

from __future__ import annotations

from typing import Any

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: takes tens of seconds (builds a plugin and runs its test suite in a subprocess)"
    )


@pytest.fixture
def event_a(make_event: Any) -> Any:
    """An event with the dummy plugin switched on."""
    return make_event(slug="alpha", plugins=["dummy"])


@pytest.fixture
def event_b(make_event: Any) -> Any:
    """An event of the same organizer without any plugin."""
    return make_event(slug="beta")
