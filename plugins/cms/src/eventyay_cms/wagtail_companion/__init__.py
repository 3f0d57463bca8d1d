"""A Django app for the organizer's Wagtail project that lets eventyay push pages into it.

Wagtail's API v2 is public and read-only; this app adds one signed endpoint through which an
eventyay connection creates, updates (publishing a revision), looks up and unpublishes pages of
one page model under one parent page. It imports nothing of eventyay, so ``pip install
eventyay-cms`` on the Wagtail host (or copying this package) is enough. Settings:

``EVENTYAY_COMPANION_SECRET``
    The shared secret, also stored (encrypted) in the eventyay connection. Required.
``EVENTYAY_COMPANION_PARENT_PAGE``
    The parent page: its id, or its ``url_path`` such as ``"/home/programme/"``. Required.
``EVENTYAY_COMPANION_PAGE_MODEL``
    ``"app_label.ModelName"`` of the page model eventyay creates. Required.
``EVENTYAY_COMPANION_FIELDS``
    Which model field receives which pushed value: ``{"body": "body"}`` by default; ``body`` is
    the page's HTML, other keys are the structured values eventyay sends beside it.
``EVENTYAY_COMPANION_CACHE``
    The cache alias that remembers signatures (replays are refused): ``"default"``. It must be
    shared by all processes of the site (Redis, Memcached or the database cache).
"""
