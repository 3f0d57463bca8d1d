from django.urls import include, path

from eventyay.base.plugins.urls import plugin_urlpatterns
from eventyay.base.views import healthz, media

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("media/<path:path>", media, name="media"),
    path("control/", include("eventyay.control.urls")),
    path("api/v1/", include("eventyay.api.urls")),
    *plugin_urlpatterns(),
    path("", include("eventyay.public.urls")),
]
