import pytest


@pytest.mark.django_db
def test_account_navigation_links_the_api_access_pages(client_for, user):
    content = client_for(user).get("/control/").content.decode()
    assert 'href="/control/api/applications/"' in content
    assert "Authorized applications" in content
