"""Back-office polish: product and payment settings."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_tickets", "0009_lean_order_path"),
    ]

    operations: list[migrations.operations.base.Operation] = [
        migrations.AddField(
            model_name="product",
            name="attendee_name",
            field=models.CharField(
                choices=[
                    ("auto", "Required for admission products, not asked otherwise"),
                    ("required", "Required"),
                    ("optional", "Asked, optional"),
                    ("no", "Not asked"),
                ],
                default="auto",
                max_length=8,
                verbose_name="Attendee name at checkout",
            ),
        ),
    ]
