"""eventyay-cms: CMS connectors (WordPress and Wagtail content in, schedule and speakers out)."""

__version__ = "1.0.0"
