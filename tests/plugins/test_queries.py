"""Plugins cost at most one query per request: the event's enabled plugins, read once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from eventyay.base.plugins import Section
from eventyay.testing.plugin import register_temporarily

pytestmark = pytest.mark.django_db

PLUGIN_STATE_TABLE = "eventyay_base_eventplugin"


def plugin_queries(queries):
    return [query["sql"] for query in queries if PLUGIN_STATE_TABLE in query["sql"]]


def test_front_page_reads_the_plugin_state_once(client, event_a, event_b):
    with CaptureQueriesContext(connection) as with_plugin:
        assert client.get("/example/alpha/").status_code == 200
    with CaptureQueriesContext(connection) as without_plugins:
        assert client.get("/example/beta/").status_code == 200
    assert len(plugin_queries(with_plugin.captured_queries)) == 1
    assert len(plugin_queries(without_plugins.captured_queries)) == 1


def test_enabled_plugins_add_no_queries_to_the_front_page(
    client, event_a, event_b, django_assert_num_queries
):
    with CaptureQueriesContext(connection) as without_plugins:
        client.get("/example/beta/")
    baseline = len(without_plugins.captured_queries)

    def sections(event, request):
        return [Section(title=f"Section {n}", html="") for n in range(5)]

    with register_temporarily("dummy", event_public_sections=sections), django_assert_num_queries(baseline):
        response = client.get("/example/alpha/")
    assert "Section 4" in response.content.decode()


def test_plugin_route_reads_the_plugin_state_once(client, event_a):
    with CaptureQueriesContext(connection) as context:
        assert client.get("/example/alpha/dummy/").status_code == 200
    assert len(plugin_queries(context.captured_queries)) == 1
