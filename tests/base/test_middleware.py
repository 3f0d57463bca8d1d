import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django_scopes import ScopeError

from eventyay.base.middleware import TenantMiddleware, plugin_of
from eventyay.base.models import Event


def _query_events(request):
    return HttpResponse(str(Event.objects.count()))


@pytest.mark.django_db
def test_urls_without_a_tenant_open_no_scope(event):
    middleware = TenantMiddleware(_query_events)
    with pytest.raises(ScopeError):
        middleware(RequestFactory().get("/control/"))


@pytest.mark.django_db
def test_tenant_urls_are_scoped_to_their_organizer(event, other_organizer):
    middleware = TenantMiddleware(_query_events)
    response = middleware(RequestFactory().get("/example/conf/"))
    assert response.content == b"1"


def test_plugin_of_reads_the_plugin_namespace():
    assert plugin_of(["plugins", "tickets"]) == "tickets"
    assert plugin_of(["plugins", "tickets", "api"]) == "tickets"
    assert plugin_of(["control"]) is None
    assert plugin_of(["plugins"]) is None
