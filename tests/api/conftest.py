from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django_scopes import scope
from rest_framework.test import APIClient


@pytest.fixture
def token_for(db: Any) -> Callable[..., str]:
    """``token_for(team)``: the secret of a new API token of ``team``."""
    from eventyay.base.services.teams import token_create

    def factory(team: Any, name: str = "tests") -> str:
        with scope(organizer=team.organizer):
            _token, secret = token_create(team=team, name=name)
        return secret

    return factory


@pytest.fixture
def api_token(admin_team: Any, token_for: Callable[..., str]) -> str:
    return token_for(admin_team)


@pytest.fixture
def client_with_token() -> Callable[[str], APIClient]:
    def factory(secret: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
        return client

    return factory


@pytest.fixture
def api_client(api_token: str, client_with_token: Callable[[str], APIClient]) -> APIClient:
    return client_with_token(api_token)


@pytest.fixture
def make_team(organizer: Any) -> Callable[..., Any]:
    from eventyay.base.services.teams import team_save

    def factory(
        name: str = "Team", permissions: tuple[str, ...] = (), all_events: bool = True, limit_events=()
    ) -> Any:
        with scope(organizer=organizer):
            return team_save(
                organizer=organizer,
                name=name,
                permissions=permissions,
                all_events=all_events,
                limit_events=limit_events,
            )

    return factory
