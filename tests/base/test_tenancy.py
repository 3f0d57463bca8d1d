import pytest
from django_scopes import ScopeError, scope, scopes_disabled

from eventyay.base.models import Event, EventPlugin, Team


@pytest.mark.django_db
def test_scoped_query_outside_a_scope_raises(event):
    with pytest.raises(ScopeError):
        list(Event.objects.all())
    with pytest.raises(ScopeError):
        list(Team.objects.all())
    with pytest.raises(ScopeError):
        list(EventPlugin.objects.all())


@pytest.mark.django_db
def test_scope_only_shows_the_organizers_rows(event, other_organizer):
    with scope(organizer=event.organizer):
        assert list(Event.objects.values_list("slug", flat=True)) == ["conf"]
    with scope(organizer=other_organizer):
        assert list(Event.objects.values_list("slug", flat=True)) == ["otherconf"]
    with scopes_disabled():
        assert Event.objects.count() == 2


@pytest.mark.django_db
def test_public_event_page_of_another_organizer_is_404_under_wrong_organizer(client, event, other_organizer):
    assert client.get("/example/conf/").status_code == 200
    assert client.get("/other/conf/").status_code == 404
    assert client.get("/example/otherconf/").status_code == 404
