from django.urls import include, path
from django.views.i18n import set_language

from eventyay.base.plugins.urls import plugin_urlpatterns
from eventyay.base.views import healthz, media
from eventyay.public.views import favicon

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("media/<path:path>", media, name="media"),
    # The language switch of the public pages posts here (works without JavaScript).
    path("locale/set/", set_language, name="set_language"),
    path("favicon.ico", favicon, name="favicon"),
    path("control/", include("eventyay.control.urls")),
    path("api/v1/", include("eventyay.api.urls")),
    *plugin_urlpatterns(),
    path("", include("eventyay.public.urls")),
]

#: Django's 500 page, and 503 with Retry-After when the database connection pool ran dry.
handler500 = "eventyay.base.views.server_error"
