"""Include in the Wagtail project's URLs, before Wagtail's catch-all::

path("eventyay-companion/", include("eventyay_cms.wagtail_companion.urls")),
"""

from django.urls import path

from eventyay_cms.wagtail_companion.views import endpoint

app_name = "eventyay_companion"
urlpatterns = [path("", endpoint, name="endpoint")]
