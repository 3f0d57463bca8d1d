import pytest
from django.test import RequestFactory
from django_scopes import scopes_disabled

from eventyay.base.models import User
from eventyay.control.pagination import page_of


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "number", "rows", "has_next"),
    [
        ("", 1, 2, True),
        ("page=2", 2, 2, True),
        ("page=3", 3, 1, False),
        ("page=x", 1, 2, True),
        ("page=-4", 1, 2, True),
    ],
)
def test_page_of_reads_the_page_without_counting(query, number, rows, has_next, django_assert_num_queries):
    for index in range(5):
        User.objects.create_user(f"u{index}@example.org", "a long password 9")
    request = RequestFactory().get(f"/?{query}")
    with scopes_disabled(), django_assert_num_queries(1):
        page = page_of(User.objects.order_by("pk"), request, size=2)
    assert (page.number, len(page.rows), page.has_next) == (number, rows, has_next)
    assert page.has_previous is (number > 1)
