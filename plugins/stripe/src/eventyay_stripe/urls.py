from django.urls import path

from eventyay_stripe import views

event_patterns = [
    path("stripe/webhook/", views.webhook, name="webhook"),
    path("stripe/order/<str:code>/<str:secret>/return/", views.return_view, name="return"),
    path("stripe/order/<str:code>/<str:secret>/pay/", views.pay, name="pay"),
    path("stripe/order/<str:code>/<str:secret>/checkout/", views.redirect_page, name="redirect"),
]

control_patterns = [
    path("stripe/", views.control, name="control"),
]
