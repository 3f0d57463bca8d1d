"""The redeem RPC answers malformed input, in any request encoding, with a 400 naming the field."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

REDEEM = "/api/v1/organizers/example/checkinrpc/redeem/"


@pytest.mark.parametrize("encoding", ["multipart", "json"])
@pytest.mark.parametrize("list_id", [2**63, 10**30, -(2**70)])
def test_a_list_id_beyond_any_primary_key_is_a_400_on_lists(api_client, catalogue, encoding, list_id):
    body = {"secret": "abc", "lists": [list_id]}
    response = api_client.post(REDEEM, body, format=encoding)
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"lists"}


def test_the_largest_primary_key_is_an_unknown_list(api_client, catalogue):
    response = api_client.post(REDEEM, {"secret": "abc", "lists": [2**63 - 1]}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {"lists": ["Unknown check-in list."]}
