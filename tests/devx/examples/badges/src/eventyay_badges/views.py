from django.shortcuts import redirect, render

from eventyay.plugin_api import event_view, page_of
from eventyay_badges.forms import ItemForm
from eventyay_badges.models import Item
from eventyay_badges.services import item_create


def index(request, organizer, event):
    return render(request, "eventyay_badges/index.html", {"event": request.event})


@event_view("event.badges:read", post="event.badges:write")
def item_list(request, organizer, event):
    form = ItemForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        item_create(event=request.event, name=form.cleaned_data["name"], actor=request.user)
        return redirect(request.path)
    page = page_of(Item.objects.filter(event=request.event).order_by("pk"), request)
    return render(request, "eventyay_badges/control/items.html", {"page": page, "form": form})
