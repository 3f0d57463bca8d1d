from django.urls import path
from rest_framework.routers import SimpleRouter

from eventyay_tickets.api import checkin, invoices, payments, views

router = SimpleRouter(use_regex_path=False)
router.register("categories", views.CategoryViewSet, basename="category")
router.register("taxrules", views.TaxRuleViewSet, basename="taxrule")
router.register("products", views.ProductViewSet, basename="product")
router.register("products/<int:product>/variations", views.VariationViewSet, basename="variation")
router.register("quotas", views.QuotaViewSet, basename="quota")
router.register("questions", views.QuestionViewSet, basename="question")
router.register("vouchers", views.VoucherViewSet, basename="voucher")
router.register("orders", views.OrderViewSet, basename="order")
router.register("orderpositions", views.OrderPositionViewSet, basename="orderposition")
router.register("invoices", invoices.InvoiceViewSet, basename="invoice")
router.register("checkinlists", checkin.CheckinListViewSet, basename="checkinlist")
router.register("payment-providers", payments.PaymentProviderViewSet, basename="paymentprovider")

event_patterns = [
    *router.urls,
    path(
        "orders/<str:code>/payments/<int:payment>/refund/",
        payments.PaymentRefundView.as_view(),
        name="order.payment.refund",
    ),
]
organizer_patterns = [path("checkinrpc/redeem/", checkin.RedeemView.as_view(), name="checkinrpc.redeem")]
