"""Quotas and vouchers keep their usage in counters; this fills them from the rows."""

from django.db import migrations, models
from django.db.models import Count, Q

HOLDING = ("pending", "paid")


def fill_counters(apps, schema_editor):
    Quota = apps.get_model("eventyay_tickets", "Quota")
    Voucher = apps.get_model("eventyay_tickets", "Voucher")
    OrderPosition = apps.get_model("eventyay_tickets", "OrderPosition")
    CartPosition = apps.get_model("eventyay_tickets", "CartPosition")
    # Places sold through a voucher that ignores quotas were never limited by them.
    OrderPosition.objects.filter(voucher__allow_ignore_quota=True).update(quota_exempt=True)
    CartPosition.objects.filter(voucher__allow_ignore_quota=True).update(quota_exempt=True)
    for quota in Quota.objects.all().iterator():
        products = list(quota.products.values_list("pk", flat=True))
        variations = list(quota.variations.values_list("pk", flat=True))
        matches = Q(product_id__in=products) & (Q(variation_id=None) | Q(variation_id__in=variations))
        used = (
            OrderPosition.objects.filter(matches, order__status__in=HOLDING, quota_exempt=False).count()
            + CartPosition.objects.filter(matches, quota_exempt=False).count()
        )
        if quota.size is not None:
            # An earlier payment accepted over quota; the reconciliation task reports it.
            used = min(used, quota.size)
        Quota.objects.filter(pk=quota.pk).update(used=used)
    redeemed = {
        row["voucher_id"]: row["n"]
        for row in OrderPosition.objects.filter(order__status__in=HOLDING, voucher__isnull=False)
        .values("voucher_id")
        .annotate(n=Count("id"))
        .order_by()
    }
    for row in (
        CartPosition.objects.filter(voucher__isnull=False)
        .values("voucher_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        redeemed[row["voucher_id"]] = redeemed.get(row["voucher_id"], 0) + row["n"]
    Voucher.objects.update(redeemed=0)
    for voucher_id, count in redeemed.items():
        Voucher.objects.filter(pk=voucher_id).update(redeemed=count)


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_tickets", "0006_private_files"),
    ]

    operations = [
        migrations.AddField(
            model_name="cartposition",
            name="quota_exempt",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="orderposition",
            name="quota_exempt",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="quota",
            name="used",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(fill_counters, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="quota",
            constraint=models.CheckConstraint(
                condition=models.Q(("size__isnull", True), ("used__lte", models.F("size")), _connector="OR"),
                name="tickets_quota_used_within_size",
            ),
        ),
    ]
