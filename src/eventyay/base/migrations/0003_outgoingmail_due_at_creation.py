import django.utils.timezone
from django.db import migrations, models
from django.db.models import F


def make_waiting_mails_due(apps, schema_editor):
    # Mails written before this migration carried no due time, so no sweep ever found them
    # when their task was lost; they are due since they were written.
    OutgoingMail = apps.get_model("eventyay_base", "OutgoingMail")
    OutgoingMail.objects.filter(status__in=("queued", "sending"), next_attempt__isnull=True).update(
        next_attempt=F("created")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_base", "0002_logentry_oauth_application"),
    ]

    operations = [
        migrations.AlterField(
            model_name="outgoingmail",
            name="next_attempt",
            field=models.DateTimeField(
                blank=True, db_index=True, default=django.utils.timezone.now, null=True
            ),
        ),
        # Going back, the due times stay: the older code reads them as retry times.
        migrations.RunPython(make_waiting_mails_due, migrations.RunPython.noop),
    ]
