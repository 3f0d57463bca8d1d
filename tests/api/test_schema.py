"""The OpenAPI schema covers the API's routes and names its components (test_fuzz.py runs schemathesis)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def schema_document(client: Any) -> dict[str, Any]:
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    return response.json()


@pytest.mark.django_db
def test_schema_covers_core_routes(schema_document):
    for path in (
        "/api/v1/plugins/",
        "/api/v1/organizers/{organizer}/events/{event}/",
        "/api/v1/organizers/{organizer}/events/{event}/clone/",
        "/api/v1/organizers/{organizer}/teams/{team}/tokens/",
        "/api/v1/organizers/{organizer}/webhooks/{webhook}/deliveries/{id}/retry/",
    ):
        assert path in schema_document["paths"]


def _serializer_named(name: str, module: str) -> Any:
    from rest_framework import serializers

    return type(name, (serializers.Serializer,), {"__module__": module})()


def test_plugin_components_carry_the_plugin_name_so_plugins_cannot_collide():
    from eventyay.api.schema import AutoSchema

    schema = AutoSchema()
    # Two plugins, or a plugin and the core, may both define a "TeamSerializer".
    assert schema.get_serializer_name(
        _serializer_named("TeamSerializer", "eventyay.api.serializers"), "response"
    ) == ("TeamSerializer")
    assert schema.get_serializer_name(
        _serializer_named("TeamSerializer", "eventyay_dummy.api.views"), "response"
    ) == ("DummyTeamSerializer")
    assert schema.get_serializer_name(
        _serializer_named("DummyStatusSerializer", "eventyay_dummy.api.views"), "response"
    ) == ("DummyStatusSerializer"), "a name that starts with the plugin's already is kept"


@pytest.mark.django_db
def test_schema_components_keep_their_names_and_plugin_ones_are_prefixed(schema_document):
    components = schema_document["components"]["schemas"]
    assert {"Team", "Event", "DummyStatus"} <= set(components)
    assert "DummyDummyStatus" not in components


@pytest.mark.django_db
def test_spectacular_command_writes_the_schema_outside_any_scope(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(target))
    document = target.read_text()
    assert '"/api/v1/organizers/{organizer}/events/{event}/"' in document
