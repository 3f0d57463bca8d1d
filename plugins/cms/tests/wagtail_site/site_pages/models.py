from wagtail.api import APIField
from wagtail.fields import RichTextField
from wagtail.models import Page


class ConferencePage(Page):
    """The one page model: a title and a rich-text body, both in the API."""

    body = RichTextField(blank=True)

    api_fields = [APIField("body"), APIField("last_published_at")]
