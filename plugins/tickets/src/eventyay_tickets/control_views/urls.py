"""Routes of the back office, included by the plugin's ``urls.control_patterns``."""

from django.urls import path

from eventyay_tickets.control_views import catalogue, checkin, dashboard, orders, settings
from eventyay_tickets.importers import views as importers

patterns = [
    path("tickets/import/pretix/", importers.pretix_import_start, name="control.pretix_import"),
    path("tickets/import/pretix/<uuid:job>/", importers.pretix_import_job, name="control.pretix_import.job"),
    path("tickets/sales/", dashboard.dashboard, name="control.dashboard"),
    path("tickets/orders/", orders.orders, name="control.orders"),
    path("tickets/orders/<str:code>/", orders.order_detail, name="control.order"),
    path("tickets/orders/<str:code>/action/<slug:action>/", orders.order_action, name="control.order.action"),
    path(
        "tickets/orders/<str:code>/payments/<int:payment>/refund/",
        orders.payment_refund,
        name="control.order.refund",
    ),
    path(
        "tickets/orders/<str:code>/invoices/<int:pk>/",
        orders.invoice_download,
        name="control.order.invoice",
    ),
    path(
        "tickets/orders/<str:code>/invoices/<int:pk>/cancel/",
        orders.invoice_cancel_view,
        name="control.order.invoice.cancel",
    ),
    path(
        "tickets/orders/<str:code>/tickets/<int:positionid>/",
        orders.ticket_download,
        name="control.order.ticket",
    ),
    path(
        "tickets/orders/<str:code>/positions/<int:positionid>/answers/<int:pk>/file/",
        orders.answer_file_download,
        name="control.order.answer_file",
    ),
    path("tickets/products/", catalogue.products, name="control.products"),
    path("tickets/products/add/", catalogue.product_edit, name="control.product.add"),
    path("tickets/products/<int:pk>/", catalogue.product_edit, name="control.product"),
    path(
        "tickets/products/<int:product>/variations/add/",
        catalogue.variation_edit,
        name="control.variation.add",
    ),
    path(
        "tickets/products/<int:product>/variations/<int:pk>/",
        catalogue.variation_edit,
        name="control.variation",
    ),
    path("tickets/quotas/", catalogue.quotas, name="control.quotas"),
    path("tickets/quotas/add/", catalogue.quota_edit, name="control.quota.add"),
    path("tickets/quotas/<int:pk>/", catalogue.quota_edit, name="control.quota"),
    path("tickets/vouchers/", catalogue.vouchers, name="control.vouchers"),
    path("tickets/vouchers/add/", catalogue.voucher_edit, name="control.voucher.add"),
    path("tickets/vouchers/bulk/", catalogue.vouchers_bulk, name="control.vouchers.bulk"),
    path("tickets/vouchers/<int:pk>/", catalogue.voucher_edit, name="control.voucher"),
    path("tickets/questions/", catalogue.questions, name="control.questions"),
    path("tickets/questions/add/", catalogue.question_edit, name="control.question.add"),
    path("tickets/questions/<int:pk>/", catalogue.question_edit, name="control.question"),
    path("tickets/checkin/", checkin.checkinlists, name="control.checkinlists"),
    path("tickets/checkin/add/", checkin.checkinlist_edit, name="control.checkinlist.add"),
    path("tickets/checkin/<int:pk>/", checkin.checkinlist_edit, name="control.checkinlist"),
    path("tickets/checkin/<int:pk>/scan/", checkin.checkin_page, name="control.checkin"),
    path("tickets/checkin/<int:pk>/counters/", checkin.checkin_counters, name="control.checkin.counters"),
    path("tickets/settings/payment/", settings.payment_settings, name="control.payment_settings"),
    path("tickets/settings/documents/", settings.document_settings, name="control.document_settings"),
    path("tickets/settings/emails/", settings.mail_settings, name="control.mail_settings"),
]
