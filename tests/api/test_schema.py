"""The OpenAPI schema describes the API truthfully: schemathesis finds no 5xx and no violations."""

from __future__ import annotations

import time
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


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


@pytest.fixture
def keep_test_connection() -> Any:
    """Called as a plain WSGI app, Django would close the test's database connection after each
    request (Django's own test client switches that off the same way)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_api_answers_match_the_schema(schema_document, api_token, event, keep_test_connection):
    from eventyay.config.wsgi import application

    schema = schemathesis.openapi.from_dict(schema_document)
    schema.app = application
    headers = {"Authorization": f"Token {api_token}"}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    started = time.monotonic()

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=2,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            if "organizer" in (case.path_parameters or {}):
                case.path_parameters["organizer"] = "example"
            if "event" in (case.path_parameters or {}):
                case.path_parameters["event"] = "conf"
            case.call_and_validate(headers=headers, checks=CHECKS, app=application)

        try:
            check()
        except Exception as exc:
            failures.append(f"{operation.label}: {str(exc)[:600]}")
    assert not failures, "\n\n".join(failures)
    assert time.monotonic() - started < 60


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
