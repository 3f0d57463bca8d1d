from django.urls import path

from eventyay_tickets import documents_views
from eventyay_tickets.control_views import urls as backoffice
from eventyay_tickets.views import checkout, control, order, shop

event_patterns = [
    *documents_views.public_patterns,
    path("tickets/", shop.index, name="shop"),
    path("tickets/cart/add/", shop.cart_add_view, name="cart.add"),
    path("tickets/cart/remove/", shop.cart_remove_view, name="cart.remove"),
    path("tickets/availability/", shop.availability, name="availability"),
    path("tickets/checkout/", checkout.questions, name="checkout.questions"),
    path("tickets/checkout/payment/", checkout.payment, name="checkout.payment"),
    path("tickets/checkout/confirm/", checkout.confirm, name="checkout.confirm"),
    path("tickets/order/<str:code>/<str:secret>/", order.detail, name="order"),
    path("tickets/order/<str:code>/<str:secret>/pay/", order.pay, name="order.pay"),
    path("tickets/order/<str:code>/<str:secret>/cancel/", order.cancel, name="order.cancel"),
    path("tickets/order/<str:code>/<str:secret>/attendees/", order.attendees, name="order.attendees"),
    path("tickets/payment/<slug:provider>/webhook/", order.payment_webhook, name="payment.webhook"),
]

control_patterns = [
    *backoffice.patterns,
    path("tickets/bank-statement/", control.bank_statement, name="control.bank_statement"),
]
