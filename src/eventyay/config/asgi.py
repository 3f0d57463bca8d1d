"""The ASGI application: Django over HTTP, plugin websocket routes over Channels.

Anonymous requests for cached public pages are answered by
:class:`~eventyay.base.services.fast_pages.FastPageApplication` without entering Django.
Serve it with ``uvicorn eventyay.config.asgi:application`` (``make run``) or gunicorn with
uvicorn workers (``deployment/gunicorn.conf.py``).
"""

import os

from eventyay.config.asgi_handler import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventyay.config.settings")
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402 - needs Django set up first
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from eventyay.base.plugins.urls import plugin_websocket_urlpatterns  # noqa: E402
from eventyay.base.services.fast_pages import FastPageApplication  # noqa: E402
from eventyay.config.env import Config  # noqa: E402
from eventyay.config.websocket_origin import BrowserOriginValidator, refuse_handshake  # noqa: E402

websocket_urlpatterns = [
    *plugin_websocket_urlpatterns(),
    # A path no plugin serves is refused at the handshake (HTTP 403), not answered with an error.
    # (django-stubs type re_path for HTTP views; Channels' URLRouter routes ASGI applications.)
    re_path(r"", refuse_handshake),  # type: ignore[arg-type]
]

application = ProtocolTypeRouter(
    {
        # Current cached public pages are answered before Django's middleware chain runs
        # (EVENTYAY_FAST_PAGES=off leaves every request to Django, e.g. to compare).
        "http": FastPageApplication(django_application)
        if Config().get_bool("fast_pages", True)
        else django_application,
        # Browsers' origins are checked; clients without one must authenticate with a token.
        "websocket": BrowserOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
