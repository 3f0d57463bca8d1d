import json

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from wagtail import urls as wagtail_urls
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.models import Page
from wagtail_site.site_pages.models import ConferencePage

api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", PagesAPIViewSet)


@csrf_exempt
def manage_pages(request: HttpRequest) -> JsonResponse:
    """The tests' editor: create, edit (publish, or save a draft with ``publish: false``) or delete a page."""
    data = json.loads(request.body)
    if data["action"] == "create":
        root = Page.objects.get(depth=1).get_children().first() or Page.objects.get(depth=1)
        page = ConferencePage(title=data["title"], slug=data["slug"], body=data.get("body", ""))
        root.add_child(instance=page)
        page.save_revision().publish()
        return JsonResponse({"id": page.pk})
    page = ConferencePage.objects.get(pk=data["id"])
    if data["action"] == "delete":
        page.delete()
        return JsonResponse({"id": data["id"]})
    page.title = data.get("title", page.title)
    page.body = data.get("body", page.body)
    revision = page.save_revision()
    if data.get("publish", True):
        revision.publish()
    return JsonResponse({"id": page.pk})


urlpatterns = [
    path("api/v2/", api_router.urls),
    path("_test/pages/", manage_pages),
    path("eventyay-companion/", include("eventyay_cms.wagtail_companion.urls")),
    path("", include(wagtail_urls)),
]
