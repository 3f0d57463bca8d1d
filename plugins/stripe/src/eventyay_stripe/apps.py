from django.utils.translation import gettext_lazy as _

from eventyay.base.plugins import PluginConfig


class StripeConfig(PluginConfig):
    name = "eventyay_stripe"
    label = "eventyay_stripe"
    verbose_name = _("Stripe")
    default_auto_field = "django.db.models.BigAutoField"

    class EventyayPluginMeta:
        name = _("Stripe payments")
        author = "eventyay"
        category = "PAYMENT"
        description = _("Card and wallet payments through Stripe Checkout, with refunds and webhooks.")
        visible = True
        level = "event"
        requires = ("tickets",)
        compatibility = ">=1.0.0.dev0"
