"""Contacts of an organizer, their tags, custom fields, event history and saved segments.

Every model carries ``organizer`` (directly or through its contact) and a django-scopes
``ScopedManager``, so a query outside the organizer's scope raises.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from eventyay.base.models import Event, Organizer

#: Columns of a contact that the full-text search covers.
SEARCH_FIELDS = ("first_name", "last_name", "email", "company")
#: Columns a contact list can be sorted by (besides ``id``); each has an index.
SORT_COLUMNS = (
    "first_name",
    "last_name",
    "email",
    "company",
    "job_title",
    "city",
    "state",
    "country",
    "created",
    "updated",
    "events_attended",
    "events_registered",
    "events_hosted",
    "talks_given",
)


class Tag(models.Model):
    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="contact_tags")
    name = models.CharField(_("Name"), max_length=100)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint("organizer", Lower("name"), name="campaigns_tag_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class CustomFieldDefinition(models.Model):
    """A field the organizer adds to every contact; values live in ``Contact.custom_fields``."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        BOOL = "bool", _("Yes/No")
        CHOICE = "choice", _("Choice")

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="contact_fields")
    key = models.SlugField(_("Key"), max_length=50, help_text=_("Used in imports, filters and the API."))
    label = models.CharField(_("Label"), max_length=200)
    type = models.CharField(_("Type"), max_length=10, choices=Type.choices, default=Type.TEXT)
    #: The allowed values of a ``choice`` field.
    choices = models.JSONField(_("Choices"), default=list, blank=True)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("key",)
        constraints = [
            models.UniqueConstraint(fields=["organizer", "key"], name="campaigns_field_unique_key"),
        ]

    def __str__(self) -> str:
        return self.label


class Contact(models.Model):
    class ConsentSource(models.TextChoices):
        NONE = "", _("none")
        API = "api", _("API")
        CONTROL = "control", _("control panel")
        IMPORT = "import", _("import")
        SIGNUP = "signup", _("sign-up (confirmed)")

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="contacts")
    email = models.EmailField(_("Email"), max_length=254)
    #: ``email`` lower-cased by the database: the unique key, so ``Ann@x.org`` and
    #: ``ann@x.org`` are one contact, whichever code path writes the row.
    email_key = models.GeneratedField(
        expression=Lower("email"), output_field=models.CharField(max_length=254), db_persist=True
    )
    first_name = models.CharField(_("First name"), max_length=150, blank=True)
    last_name = models.CharField(_("Last name"), max_length=150, blank=True)
    phone = models.CharField(_("Phone"), max_length=50, blank=True)
    avatar = models.URLField(_("Avatar URL"), max_length=500, blank=True)
    gender = models.CharField(_("Gender"), max_length=50, blank=True)
    job_title = models.CharField(_("Job title"), max_length=200, blank=True)
    company = models.CharField(_("Company"), max_length=200, blank=True)
    city = models.CharField(_("City"), max_length=100, blank=True)
    state = models.CharField(pgettext_lazy("address", "State"), max_length=100, blank=True)
    country = models.CharField(_("Country"), max_length=2, blank=True, help_text=_("ISO 3166 code, e.g. DE."))
    locale = models.CharField(_("Language"), max_length=16, blank=True)
    custom_fields = models.JSONField(_("Custom fields"), default=dict, blank=True)
    tags: models.ManyToManyField[Tag, ContactTag] = models.ManyToManyField(
        Tag, through="ContactTag", related_name="contacts", blank=True
    )
    marketing_consent = models.BooleanField(_("Agreed to marketing mail"), default=False)
    consent_source = models.CharField(max_length=20, choices=ConsentSource.choices, blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    #: Consent to marketing text messages, recorded like ``marketing_consent``.
    sms_consent = models.BooleanField(_("Agreed to marketing text messages"), default=False)
    sms_consent_source = models.CharField(max_length=20, choices=ConsentSource.choices, blank=True)
    sms_consent_at = models.DateTimeField(null=True, blank=True)
    #: Counters of the history below, kept by the services that write it (never recomputed
    #: per query): distinct events attended, registered for and hosted, talks given. On
    #: PostgreSQL ``events_attended`` is set by the trigger of the attended-events list
    #: (migration 0014), in the same rewrite of the row.
    events_attended = models.PositiveIntegerField(default=0)
    events_registered = models.PositiveIntegerField(default=0)
    events_hosted = models.PositiveIntegerField(default=0)
    talks_given = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    #: The full-text document of :data:`SEARCH_FIELDS` on PostgreSQL, written by a database
    #: trigger (migration 0010) whatever code path writes the row; whatever Python assigns
    #: is replaced. Always empty on SQLite, which searches with ``icontains``.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("last_name", "first_name", "id")
        constraints = [
            models.UniqueConstraint(fields=["organizer", "email_key"], name="campaigns_contact_unique_email"),
        ]
        # Equality filters compare lower-cased values, so the indexes are on the lower-cased
        # columns; the PostgreSQL-only indexes are created by migrations: JSON in 0002, the
        # full-text GIN index on ``search_vector`` in 0010.
        # Every sort column has an index (organizer, column, id): the id breaks ties, so a sorted
        # page (``ORDER BY column, id LIMIT n``, either direction) reads the index in order and
        # stops after n matches, instead of sorting every match. The same indexes serve the
        # equality and range filters on country and the counters.
        indexes = [
            models.Index("organizer", Lower("company"), name="campaigns_contact_company"),
            models.Index("organizer", Lower("job_title"), name="campaigns_contact_job_title"),
            models.Index("organizer", Lower("city"), name="campaigns_contact_city"),
            models.Index("organizer", Lower("state"), name="campaigns_contact_state"),
            *(
                models.Index(fields=["organizer", column, "id"], name=f"cmpgn_sort_{column}")
                for column in SORT_COLUMNS
            ),
            models.Index(fields=["organizer", "id"], name="cmpgn_sort_id"),
            # Consenting contacts of a country: the audience of most campaigns, and a pair of
            # filters each too weak alone (half the contacts, a tenth) for its own index to
            # narrow the read when a search's size is proven (bench/README.md, "Contact filters").
            models.Index(
                fields=["organizer", "marketing_consent", "country"], name="campaigns_contact_consent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email


class ContactTag(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)

    objects = ScopedManager(organizer="contact__organizer")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tag", "contact"], name="campaigns_contacttag_unique")]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.tag_id}"


class ContactEvent(models.Model):
    """One fact of a contact's history: registered for, attended, hosted or spoke at an event.

    ``source`` names what caused it (``order:ABC12``, ``submission:XYZ``, ``team:3``); the
    unique constraint makes replaying a notification a no-op.
    """

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("registered")
        ATTENDED = "attended", _("attended")
        HOSTED = "hosted", _("hosted")
        SPOKE = "spoke", _("gave a talk")

    # The composite indexes below lead with these columns; no single-column indexes needed.
    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="+", db_index=False)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="history", db_index=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    source = models.CharField(max_length=100)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("-created", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "event", "kind", "source"], name="campaigns_history_unique"
            ),
        ]
        indexes = [
            # "attended event X" and "registered between dates" start from the event side.
            models.Index(fields=["event", "kind", "contact"], name="campaigns_history_event"),
            models.Index(fields=["organizer", "kind", "created"], name="campaigns_history_created"),
            # Canceling an order removes the facts it caused.
            models.Index(fields=["organizer", "source"], name="campaigns_history_source"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.kind} {self.event_id}"


class ContactProduct(models.Model):
    """A product (by the tickets plugin's id) a contact bought, for the "bought product" filter."""

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="+", db_index=False)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="products", db_index=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    product_id = models.BigIntegerField()
    source = models.CharField(max_length=100)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "product_id", "source"], name="campaigns_product_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["product_id", "contact"], name="campaigns_product_product"),
            models.Index(fields=["organizer", "source"], name="campaigns_product_source"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.product_id}"


class Segment(models.Model):
    """A saved filter; its members are computed when it is used."""

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(_("Name"), max_length=200)
    #: Query parameters of the contact filter, validated by ``ContactFilterForm``.
    filters = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("name", "id")

    def __str__(self) -> str:
        return self.name
