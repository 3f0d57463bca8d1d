"""Sort indexes (organizer, column, id) for every sortable column of a contact."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("eventyay_campaigns", "0005_automation_sms_inbound"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="contact",
            name="campaigns_contact_country",
        ),
        migrations.RemoveIndex(
            model_name="contact",
            name="campaigns_contact_attended",
        ),
        migrations.RemoveIndex(
            model_name="contact",
            name="campaigns_contact_hosted",
        ),
        migrations.RemoveIndex(
            model_name="contact",
            name="campaigns_contact_name",
        ),
        migrations.RemoveIndex(
            model_name="contact",
            name="campaigns_contact_first_name",
        ),
        migrations.RemoveIndex(
            model_name="contact",
            name="campaigns_contact_created",
        ),
        migrations.RemoveIndex(
            model_name="contact",
            name="campaigns_contact_updated",
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["organizer", "first_name", "id"], name="cmpgn_sort_first_name"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["organizer", "last_name", "id"], name="cmpgn_sort_last_name"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["organizer", "email", "id"], name="cmpgn_sort_email"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["organizer", "company", "id"], name="cmpgn_sort_company"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["organizer", "job_title", "id"], name="cmpgn_sort_job_title"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["organizer", "city", "id"], name="cmpgn_sort_city"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["organizer", "state", "id"], name="cmpgn_sort_state"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["organizer", "country", "id"], name="cmpgn_sort_country"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["organizer", "created", "id"], name="cmpgn_sort_created"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["organizer", "updated", "id"], name="cmpgn_sort_updated"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                fields=["organizer", "events_attended", "id"], name="cmpgn_sort_events_attended"
            ),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                fields=["organizer", "events_registered", "id"], name="cmpgn_sort_events_registered"
            ),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["organizer", "events_hosted", "id"], name="cmpgn_sort_events_hosted"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["organizer", "talks_given", "id"], name="cmpgn_sort_talks_given"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["organizer", "id"], name="cmpgn_sort_id"),
        ),
    ]
