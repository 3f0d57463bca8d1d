"""What the companion does to Wagtail: find, upsert (publishing a revision) and unpublish pages.

Only pages of the configured model directly under the configured parent are ever touched, so a
request with a valid signature still cannot change the rest of the site.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import transaction
from wagtail.models import Page

DEFAULT_FIELDS = {"body": "body"}


def page_model() -> type[Page]:
    label = getattr(settings, "EVENTYAY_COMPANION_PAGE_MODEL", "")
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError) as exc:
        raise ImproperlyConfigured(f"EVENTYAY_COMPANION_PAGE_MODEL: no model {label!r}.") from exc
    if not issubclass(model, Page):
        raise ImproperlyConfigured(f"EVENTYAY_COMPANION_PAGE_MODEL: {label} is not a page model.")
    return model


def parent_page() -> Page:
    reference = getattr(settings, "EVENTYAY_COMPANION_PARENT_PAGE", None)
    pages = Page.objects.all()
    page = (
        pages.filter(pk=reference).first()
        if isinstance(reference, int)
        else pages.filter(url_path=str(reference or "")).first()
    )
    if page is None:
        raise ImproperlyConfigured(f"EVENTYAY_COMPANION_PARENT_PAGE: no page {reference!r}.")
    return page


def field_mapping() -> dict[str, str]:
    return dict(getattr(settings, "EVENTYAY_COMPANION_FIELDS", DEFAULT_FIELDS))


def configuration_problems(**kwargs: Any) -> list[checks.CheckMessage]:
    """The system check: the secret is set, the model exists and has the mapped fields."""
    problems: list[checks.CheckMessage] = []
    if not getattr(settings, "EVENTYAY_COMPANION_SECRET", ""):
        problems.append(checks.Error("EVENTYAY_COMPANION_SECRET is not set.", id="eventyay_companion.E001"))
    try:
        model = page_model()
    except ImproperlyConfigured as exc:
        problems.append(checks.Error(str(exc), id="eventyay_companion.E002"))
        return problems
    for source, name in field_mapping().items():
        try:
            model._meta.get_field(name)
        except FieldDoesNotExist:
            problems.append(
                checks.Error(
                    f"EVENTYAY_COMPANION_FIELDS: {model.__name__} has no field {name!r} (for {source!r}).",
                    id="eventyay_companion.E003",
                )
            )
    return problems


def _pages() -> Any:
    return page_model().objects.child_of(parent_page())


def _modified(page: Page) -> datetime | None:
    """The later of the last publication and the newest revision (a saved draft counts too)."""
    revision = page.latest_revision
    times = [t for t in (page.last_published_at, revision.created_at if revision else None) if t]
    return max(times) if times else None


def describe(page: Page) -> dict[str, Any]:
    revision = page.latest_revision
    modified = _modified(page)
    return {
        "id": page.pk,
        "slug": page.slug,
        "title": page.title,
        "live": page.live,
        "last_published_at": page.last_published_at.isoformat() if page.last_published_at else None,
        "latest_revision_id": revision.pk if revision else None,
        "latest_revision_created_at": revision.created_at.isoformat() if revision else None,
        "modified": modified.isoformat() if modified else None,
    }


def page_get(number: int) -> Page | None:
    return _pages().filter(pk=number).first()


def page_find(slug: str) -> Page | None:
    return _pages().filter(slug=slug).first()


def page_upsert(*, number: int | None, slug: str, title: str, values: dict[str, Any]) -> Page | None:
    """Create or change a page and publish it as a new revision; ``None``: ``number`` is not ours.

    Without ``number`` the page with ``slug`` under the parent is changed if there is one, so a
    create repeated after a lost answer does not make a second page. Raises ValidationError.
    """
    mapping = field_mapping()
    with transaction.atomic():
        page = page_get(number) if number is not None else page_find(slug)
        if number is not None and page is None:
            return None
        if page is None:
            page = page_model()(title=title, slug=slug, live=False)
            for source, name in mapping.items():
                if source in values:
                    setattr(page, name, values[source])
            parent_page().add_child(instance=page)
        else:
            page.title = title
            page.slug = slug
            for source, name in mapping.items():
                if source in values:
                    setattr(page, name, values[source])
        page.save_revision(log_action=True).publish()
        page.refresh_from_db()
    return page


def page_unpublish(number: int) -> Page | None:
    """Take a page offline (it stays in Wagtail with its revisions); ``None``: not ours."""
    with transaction.atomic():
        page = page_get(number)
        if page is not None and page.live:
            page.unpublish()
            page.refresh_from_db()
    return page
