"""Writing contacts and their history.

Every write that touches more than one row runs in one transaction. History rows are unique
per (contact, event, kind, source), so replaying a notification changes nothing; the counters on
``Contact`` move only when the first row of a (contact, event, kind) appears or the last one
goes (``talks_given`` counts every talk).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Value
from django.db.models.functions import Greatest, Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from eventyay.base.bulk import bulk_update_rows
from eventyay.base.models import Event, Organizer, Team
from eventyay.base.plugins import notify
from eventyay.base.services.log import log_action, log_actions
from eventyay_campaigns.models import (
    Contact,
    ContactEvent,
    ContactProduct,
    ContactTag,
    CustomFieldDefinition,
    Segment,
    Tag,
)

#: Profile fields a caller may set on a contact.
PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "avatar",
    "gender",
    "job_title",
    "company",
    "city",
    "state",
    "country",
    "locale",
)

COUNTERS: dict[str, str] = {
    ContactEvent.Kind.ATTENDED: "events_attended",
    ContactEvent.Kind.REGISTERED: "events_registered",
    ContactEvent.Kind.HOSTED: "events_hosted",
    ContactEvent.Kind.SPOKE: "talks_given",
}
#: Kinds counted once per event; the others count every row.
PER_EVENT: set[str] = {ContactEvent.Kind.ATTENDED, ContactEvent.Kind.REGISTERED, ContactEvent.Kind.HOSTED}


def counted_by_database(kind: str) -> bool:
    """Whether the database keeps the counter of ``kind`` itself: on PostgreSQL the trigger
    of the attended-events list sets ``events_attended`` to the list's length (migration
    0014), in the same rewrite of the contact row."""
    return kind == ContactEvent.Kind.ATTENDED and connection.vendor == "postgresql"


#: What a profile edit writes: never the counters, which history writes move concurrently.
EDITABLE_FIELDS = (
    *PROFILE_FIELDS,
    "custom_fields",
    "marketing_consent",
    "consent_source",
    "consent_at",
    "sms_consent",
    "sms_consent_source",
    "sms_consent_at",
    "updated",
)


def _save_profile(contact: Contact) -> None:
    if contact.pk is None:
        contact.save()
    else:
        contact.save(update_fields=EDITABLE_FIELDS)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def custom_field_definitions(*, organizer: Organizer) -> dict[str, CustomFieldDefinition]:
    """The organizer's custom fields by key."""
    return {d.key: d for d in CustomFieldDefinition.objects.filter(organizer=organizer)}


def custom_fields_clean(
    *,
    organizer: Organizer,
    values: dict[str, Any],
    definitions: dict[str, CustomFieldDefinition] | None = None,
) -> dict[str, Any]:
    """Check ``values`` against the organizer's field definitions; return them in JSON form.

    Raises ``ValidationError`` naming the field (``custom_fields.<key>``) on unknown keys or
    values of the wrong type. ``None`` or ``""`` removes a value. ``definitions`` (from
    :func:`custom_field_definitions`) saves reading them again when many contacts are checked.
    """
    if not isinstance(values, dict):
        raise ValidationError({"custom_fields": _("Expected an object of field keys and values.")})
    if definitions is None:
        definitions = custom_field_definitions(organizer=organizer)
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, value in values.items():
        definition = definitions.get(key)
        if definition is None:
            errors[f"custom_fields.{key}"] = _("Unknown custom field.")
            continue
        if value is None or value == "":
            continue
        try:
            cleaned[key] = _custom_value(definition, value)
        except ValueError as exc:
            errors[f"custom_fields.{key}"] = str(exc)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _custom_value(definition: CustomFieldDefinition, value: Any) -> Any:
    kind = definition.type
    if kind == CustomFieldDefinition.Type.NUMBER:
        if isinstance(value, bool):
            raise ValueError(_("Enter a number."))
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValueError(_("Enter a number.")) from None
        if not number.is_finite():
            raise ValueError(_("Enter a number."))
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == CustomFieldDefinition.Type.DATE:
        try:
            return dt.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError(_("Enter a date as YYYY-MM-DD.")) from None
    if kind == CustomFieldDefinition.Type.BOOL:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no"):
            return False
        raise ValueError(_("Enter true or false."))
    if kind == CustomFieldDefinition.Type.CHOICE:
        if str(value) not in [str(choice) for choice in definition.choices]:
            raise ValueError(_("Choose one of: %s.") % ", ".join(str(c) for c in definition.choices))
        return str(value)
    if not isinstance(value, str | int | float):
        raise ValueError(_("Enter text."))
    return str(value)


def _tags_set(*, contact: Contact, names: Iterable[str]) -> None:
    tags_replace_many(organizer=contact.organizer, wanted=[(contact, names)])


def _tag_names(names: Iterable[str]) -> dict[str, str]:
    """Tag names by their key (lower case), blanks dropped, the first spelling kept."""
    wanted: dict[str, str] = {}
    for name in names:
        name = str(name).strip()
        if name:
            wanted.setdefault(name.lower(), name[:100])
    return wanted


def tags_replace_many(*, organizer: Organizer, wanted: Iterable[tuple[Contact, Iterable[str]]]) -> None:
    """Give each saved contact exactly the tags named for it, creating missing tags.

    A constant number of statements however many contacts; ``contact_tagged`` automation
    fires after commit for each tag a contact did not have.
    """
    names_by_contact = [(contact, _tag_names(names)) for contact, names in wanted]
    if not names_by_contact:
        return
    spellings: dict[str, str] = {}
    for _contact, names in names_by_contact:
        for key, name in names.items():
            spellings.setdefault(key, name)
    tags = _tags_by_key(organizer=organizer)
    missing = [Tag(organizer=organizer, name=spellings[key]) for key in spellings if key not in tags]
    if missing:
        # Ignoring conflicts: a tag another request created meanwhile is read back below.
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        tags = _tags_by_key(organizer=organizer)
        for key in spellings.keys() - tags.keys():
            # The database folds case a little differently from Python for a few letters; the
            # tag it took for the same name is the one.
            tags[key] = Tag.objects.annotate(key=Lower("name")).get(
                organizer=organizer, key=Lower(Value(spellings[key]))
            )
    contact_ids = [contact.pk for contact, _names in names_by_contact]
    had: dict[int, set[int]] = {pk: set() for pk in contact_ids}
    unwanted: list[int] = []
    wanted_ids = {contact.pk: {tags[key].pk for key in names} for contact, names in names_by_contact}
    for link_id, contact_id, tag_id in ContactTag.objects.filter(contact_id__in=contact_ids).values_list(
        "pk", "contact_id", "tag_id"
    ):
        had[contact_id].add(tag_id)
        if tag_id not in wanted_ids[contact_id]:
            unwanted.append(link_id)
    if unwanted:
        ContactTag.objects.filter(pk__in=unwanted).delete()
    links = [
        ContactTag(contact_id=contact.pk, tag=tags[key])
        for contact, names in names_by_contact
        for key in names
        if tags[key].pk not in had[contact.pk]
    ]
    if not links:
        return
    ContactTag.objects.bulk_create(links, ignore_conflicts=True)
    by_pk = {contact.pk: contact for contact, _names in names_by_contact}
    fires: dict[int, list[Tag]] = {}
    for link in links:
        fires.setdefault(link.contact_id, []).append(link.tag)
    added = [(by_pk[contact_id], added_tags) for contact_id, added_tags in fires.items()]
    _automation_after_commit(lambda automation: automation.tagged_fire_many(organizer=organizer, added=added))


def _tags_by_key(*, organizer: Organizer) -> dict[str, Tag]:
    # All of them: an organizer has tens or hundreds of tags, and matching them in Python keeps
    # one notion of "the same name" with the rest of this module.
    return {tag.name.lower(): tag for tag in Tag.objects.filter(organizer=organizer)}


def _automation_after_commit(fire: Callable[[Any], None]) -> None:
    """Fire automation triggers once the contact is committed (rules read it back)."""
    # Imported here: the automation service reads the contact filter form, which imports this module.
    from eventyay_campaigns.services import automation

    transaction.on_commit(lambda: fire(automation), robust=True)


def contact_profile_apply(
    *,
    organizer: Organizer,
    contact: Contact,
    data: dict[str, Any],
    consent_source: str,
    definitions: dict[str, CustomFieldDefinition] | None = None,
) -> None:
    """Set the profile ``data`` (as :func:`contact_save` takes it, tags aside) on ``contact``
    and validate it, without writing anything.

    Raises ``ValidationError`` naming the fields; ``contact`` may then be half changed, so
    callers apply to a copy when they go on with the object.
    """
    for name in PROFILE_FIELDS:
        if name in data:
            setattr(contact, name, data[name] or "")
    if "custom_fields" in data:
        merged = {**(contact.custom_fields or {}), **(data["custom_fields"] or {})}
        contact.custom_fields = custom_fields_clean(
            organizer=organizer, values=merged, definitions=definitions
        )
    now = timezone.now()
    if "marketing_consent" in data and bool(data["marketing_consent"]) != contact.marketing_consent:
        contact.marketing_consent = bool(data["marketing_consent"])
        contact.consent_source = consent_source
        contact.consent_at = now
    if "sms_consent" in data and bool(data["sms_consent"]) != contact.sms_consent:
        contact.sms_consent = bool(data["sms_consent"])
        contact.sms_consent_source = consent_source
        contact.sms_consent_at = now
    contact.full_clean(
        exclude=["organizer", "custom_fields", "consent_source", "sms_consent_source"],
        validate_unique=False,
        validate_constraints=False,
    )


def contact_save(
    *,
    organizer: Organizer,
    data: dict[str, Any],
    contact: Contact | None = None,
    actor: Any = None,
    consent_source: str = Contact.ConsentSource.CONTROL,
) -> Contact:
    """Create or update a contact from validated profile data.

    ``data`` may hold the profile fields, ``tags`` (a list of names, replacing the current
    ones), ``custom_fields`` (merged into the current values, checked against the organizer's
    definitions), ``marketing_consent`` and ``sms_consent``; a change of consent records
    ``consent_source`` and the time. A second contact with the same address (in any case) is a ``ValidationError``
    on ``email``.
    """
    with transaction.atomic():
        creating = contact is None
        if contact is None:
            contact = Contact(organizer=organizer)
        contact_profile_apply(organizer=organizer, contact=contact, data=data, consent_source=consent_source)
        duplicate = Contact.objects.filter(organizer=organizer, email_key=normalise_email(contact.email))
        if contact.pk:
            duplicate = duplicate.exclude(pk=contact.pk)
        if duplicate.exists():
            raise ValidationError({"email": _("A contact with this email address exists already.")})
        try:
            with transaction.atomic():
                _save_profile(contact)
        except IntegrityError:
            raise ValidationError({"email": _("A contact with this email address exists already.")}) from None
        if "tags" in data:
            _tags_set(contact=contact, names=data["tags"] or [])
        log_action(
            action="campaigns.contact.created" if creating else "campaigns.contact.changed",
            organizer=organizer,
            obj=contact,
            actor=actor,
        )
        if creating:
            _automation_after_commit(lambda automation: automation.created_fire(contact=contact))
    contact.refresh_from_db(fields=["email_key", "created", "updated"])
    return contact


def contacts_save_many(
    *,
    organizer: Organizer,
    new: Sequence[Contact],
    changed: Sequence[Contact],
    tags: Sequence[tuple[Contact, Iterable[str]]] = (),
    fields: Iterable[str] = EDITABLE_FIELDS,
    actor: Any = None,
) -> None:
    """Write contacts prepared with :func:`contact_profile_apply`, many at once.

    ``new`` are inserted and the ``fields`` of ``changed`` (by default every editable one)
    written, in a constant number of statements; ``tags`` replaces the tags of contacts among
    them. Each gets its audit log entry, and the automation of :func:`contact_save` fires after
    commit. The email addresses must be checked by the caller: one new contact per address not
    yet taken.
    """
    with transaction.atomic():
        if new:
            Contact.objects.bulk_create(new)
        if changed:
            now = timezone.now()
            for contact in changed:
                contact.updated = now
            bulk_update_rows(changed, [name for name in EDITABLE_FIELDS if name in {*fields, "updated"}])
        log_actions(action="campaigns.contact.created", organizer=organizer, objects=new, actor=actor)
        log_actions(action="campaigns.contact.changed", organizer=organizer, objects=changed, actor=actor)
        tags_replace_many(organizer=organizer, wanted=tags)
        if new:
            created = list(new)
            _automation_after_commit(
                lambda automation: automation.created_fire_many(organizer=organizer, contacts=created)
            )


def contact_delete(*, contact: Contact, actor: Any = None) -> None:
    with transaction.atomic():
        log_action(
            action="campaigns.contact.deleted",
            organizer=contact.organizer,
            obj=contact,
            actor=actor,
            data={"id": contact.pk},
        )
        contact.delete()


def contact_for_email(
    *, organizer: Organizer, email: str, name: str = "", locale: str = ""
) -> Contact | None:
    """The organizer's contact for ``email``, created if new; None for an invalid address.

    Fills the name and language only where the contact has none yet: what the organizer or
    the person entered is never overwritten by what a later order says.
    """
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        return None
    first, _sep, last = (name or "").strip().partition(" ")
    defaults = {"email": email, "first_name": first[:150], "last_name": last[:150], "locale": locale[:16]}
    contact = Contact.objects.filter(organizer=organizer, email_key=normalise_email(email)).first()
    if contact is None:
        try:
            with transaction.atomic():
                created = Contact.objects.create(organizer=organizer, **defaults)
            _automation_after_commit(lambda automation: automation.created_fire(contact=created))
            return created
        except IntegrityError:
            # Created concurrently by another notification for the same address.
            return Contact.objects.get(organizer=organizer, email_key=normalise_email(email))
    changed = [f for f in ("first_name", "last_name", "locale") if not getattr(contact, f) and defaults[f]]
    for field in changed:
        setattr(contact, field, defaults[field])
    if changed:
        contact.save(update_fields=[*changed, "updated"])
    return contact


def history_record(*, contact: Contact, event: Event, kind: str, source: str) -> bool:
    """Add one history fact; returns whether it was new. Replays change nothing."""
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        counting = not counted_by_database(kind)
        first_of_event = (
            counting and not ContactEvent.objects.filter(contact=locked, event=event, kind=kind).exists()
        )
        _row, created = ContactEvent.objects.get_or_create(
            organizer_id=locked.organizer_id, contact=locked, event=event, kind=kind, source=source
        )
        if counting and created and (first_of_event or kind not in PER_EVENT):
            Contact.objects.filter(pk=locked.pk).update(**{COUNTERS[kind]: F(COUNTERS[kind]) + 1})
    return created


def history_remove(*, organizer: Organizer, source: str, kinds: Iterable[str]) -> int:
    """Remove the history facts ``source`` caused (a canceled order); returns how many."""
    removed = 0
    with transaction.atomic():
        rows = list(
            ContactEvent.objects.select_for_update().filter(
                organizer=organizer, source=source, kind__in=list(kinds)
            )
        )
        for row in rows:
            row.delete()
            removed += 1
            if counted_by_database(row.kind):
                continue
            last_of_event = not ContactEvent.objects.filter(
                contact_id=row.contact_id, event_id=row.event_id, kind=row.kind
            ).exists()
            if last_of_event or row.kind not in PER_EVENT:
                Contact.objects.filter(pk=row.contact_id, **{f"{COUNTERS[row.kind]}__gt": 0}).update(
                    **{COUNTERS[row.kind]: F(COUNTERS[row.kind]) - 1}
                )
        ContactProduct.objects.filter(organizer=organizer, source=source).delete()
    return removed


def history_forget_event(*, event: Event) -> int:
    """Take an event that is being deleted out of its contacts' counters; returns the contacts.

    The history rows themselves go with the event (a cascade, which the membership triggers
    follow on PostgreSQL); the counters are kept incrementally and would otherwise still count
    it. Runs in the deletion's transaction, before the rows are gone.
    """
    rows = (
        ContactEvent.objects.filter(event=event)
        .values("contact_id", "kind")
        .annotate(rows=Count("id"))
        .order_by("contact_id", "kind")
    )
    decrements: dict[tuple[str, int], list[int]] = {}
    for row in rows:
        if counted_by_database(row["kind"]):
            # The cascade's trigger counts again when the rows go.
            continue
        by = 1 if row["kind"] in PER_EVENT else row["rows"]
        decrements.setdefault((COUNTERS[row["kind"]], by), []).append(row["contact_id"])
    contacts = {pk for ids in decrements.values() for pk in ids}
    with transaction.atomic():
        # Locked in id order, as the membership triggers lock them, so the two cannot deadlock.
        list(Contact.objects.select_for_update().filter(pk__in=contacts).order_by("pk").values_list("pk"))
        for (counter, by), ids in decrements.items():
            Contact.objects.filter(pk__in=ids).update(**{counter: Greatest(F(counter) - by, 0)})
    return len(contacts)


def event_pre_delete(sender: type[Event], instance: Event, **kwargs: Any) -> None:
    """``pre_delete`` of events (connected in the app config)."""
    from django_scopes import scopes_disabled

    with scopes_disabled():
        history_forget_event(event=instance)


def order_record(*, event: Event, order: Any, paid: bool) -> None:
    """Record an order of the tickets plugin: buyer and attendees registered (and attended if paid).

    Reads the order through its public attributes only (``code``, ``email``, ``locale``,
    ``positions`` with ``attendee_name``, ``attendee_email`` and ``product_id``); the tickets
    plugin is never imported.
    """
    source = f"order:{order.code}"
    organizer = event.organizer
    people: dict[str, tuple[str, set[int]]] = {}
    positions = list(order.positions.all())
    if order.email:
        people[normalise_email(order.email)] = (
            order.email,
            {p.product_id for p in positions if not p.attendee_email},
        )
    for position in positions:
        if position.attendee_email:
            key = normalise_email(position.attendee_email)
            _email, products = people.setdefault(key, (position.attendee_email, set()))
            products.add(position.product_id)
    names = {normalise_email(p.attendee_email): p.attendee_name for p in positions if p.attendee_email}
    with transaction.atomic():
        for key, (email, products) in people.items():
            contact = contact_for_email(
                organizer=organizer, email=email, name=names.get(key, ""), locale=order.locale or ""
            )
            if contact is None:
                continue
            history_record(contact=contact, event=event, kind=ContactEvent.Kind.REGISTERED, source=source)
            if paid:
                history_record(contact=contact, event=event, kind=ContactEvent.Kind.ATTENDED, source=source)
            ContactProduct.objects.bulk_create(
                [
                    ContactProduct(
                        organizer=organizer, contact=contact, event=event, product_id=pid, source=source
                    )
                    for pid in products
                ],
                ignore_conflicts=True,
            )


def order_cancel_record(*, event: Event, order: Any) -> None:
    history_remove(
        organizer=event.organizer,
        source=f"order:{order.code}",
        kinds=[ContactEvent.Kind.REGISTERED, ContactEvent.Kind.ATTENDED],
    )


#: Submission states in which its speakers count as giving the talk.
TALK_STATES = ("accepted", "confirmed")


def submission_record(*, submission: Any, new_state: str) -> None:
    """Speakers of an accepted or confirmed submission gave a talk; withdrawn or rejected ones did not."""
    event = submission.event
    source = f"submission:{submission.code}"
    if new_state not in TALK_STATES:
        history_remove(organizer=event.organizer, source=source, kinds=[ContactEvent.Kind.SPOKE])
        return
    with transaction.atomic():
        for speaker in submission.speakers.all():
            contact = contact_for_email(
                organizer=event.organizer, email=speaker.email, name=getattr(speaker, "fullname", "")
            )
            if contact is not None:
                history_record(contact=contact, event=event, kind=ContactEvent.Kind.SPOKE, source=source)


def hosts_backfill(*, organizer: Organizer) -> int:
    """Record every team member as host of the events their team covers; returns new facts."""
    created = 0
    events = list(Event.objects.filter(organizer=organizer))
    with transaction.atomic():
        for team in Team.objects.filter(organizer=organizer).prefetch_related("members", "limit_events"):
            covered = events if team.all_events else list(team.limit_events.all())
            for member in team.members.all():
                contact = contact_for_email(organizer=organizer, email=member.email, name=member.fullname)
                if contact is None:
                    continue
                for event in covered:
                    created += history_record(
                        contact=contact, event=event, kind=ContactEvent.Kind.HOSTED, source=f"team:{team.pk}"
                    )
    return created


def contacts_merge(*, target: Contact, duplicate: Contact, actor: Any = None) -> Contact:
    """Fold ``duplicate`` into ``target``: history, products and tags move, blank fields fill.

    Counters are recomputed for ``target`` from the combined history, which is exact, once.
    """
    if target.pk == duplicate.pk or target.organizer_id != duplicate.organizer_id:
        raise ValidationError(_("Choose two different contacts of the same organizer."))
    with transaction.atomic():
        target, duplicate = (
            Contact.objects.select_for_update().get(pk=target.pk),
            Contact.objects.select_for_update().get(pk=duplicate.pk),
        )
        # One statement: on PostgreSQL each statement on the history rewrites the target's
        # row once (its attended-event list, migration 0011), however many facts it moves.
        ContactEvent.objects.bulk_create(
            [
                ContactEvent(
                    organizer_id=target.organizer_id,
                    contact=target,
                    event_id=row.event_id,
                    kind=row.kind,
                    source=row.source,
                )
                for row in ContactEvent.objects.filter(contact=duplicate)
            ],
            ignore_conflicts=True,
        )
        ContactProduct.objects.bulk_create(
            [
                ContactProduct(
                    organizer_id=target.organizer_id,
                    contact=target,
                    event_id=p.event_id,
                    product_id=p.product_id,
                    source=p.source,
                )
                for p in ContactProduct.objects.filter(contact=duplicate)
            ],
            ignore_conflicts=True,
        )
        ContactTag.objects.bulk_create(
            [
                ContactTag(contact=target, tag_id=t.tag_id)
                for t in ContactTag.objects.filter(contact=duplicate)
            ],
            ignore_conflicts=True,
        )
        for field in PROFILE_FIELDS:
            if field != "email" and not getattr(target, field):
                setattr(target, field, getattr(duplicate, field))
        target.custom_fields = {**(duplicate.custom_fields or {}), **(target.custom_fields or {})}
        if duplicate.marketing_consent and not target.marketing_consent:
            target.marketing_consent = True
            target.consent_source = duplicate.consent_source
            target.consent_at = duplicate.consent_at
        history = ContactEvent.objects.filter(contact=target)
        for kind, counter in COUNTERS.items():
            rows = history.filter(kind=kind)
            value = rows.values("event").distinct().count() if kind in PER_EVENT else rows.count()
            setattr(target, counter, value)
        log_action(
            action="campaigns.contact.merged",
            organizer=target.organizer,
            obj=target,
            actor=actor,
            data={"merged": duplicate.pk, "merged_email": duplicate.email},
        )
        duplicate.delete()
        target.save()
    return target


def contact_export(*, contact: Contact) -> dict[str, Any]:
    """Everything stored about one contact, for a data subject access request."""
    return {
        "id": contact.pk,
        **{field: getattr(contact, field) for field in PROFILE_FIELDS},
        "tags": sorted(contact.tags.values_list("name", flat=True)),
        "custom_fields": contact.custom_fields,
        "marketing_consent": contact.marketing_consent,
        "consent_source": contact.consent_source,
        "consent_at": contact.consent_at.isoformat() if contact.consent_at else None,
        "events_attended": contact.events_attended,
        "events_registered": contact.events_registered,
        "events_hosted": contact.events_hosted,
        "talks_given": contact.talks_given,
        "created": contact.created.isoformat(),
        "updated": contact.updated.isoformat(),
        "history": [
            {
                "event": row.event.slug,
                "event_name": str(row.event.name),
                "kind": row.kind,
                "source": row.source,
                "created": row.created.isoformat(),
            }
            for row in contact.history.select_related("event").order_by("created", "id")
        ],
        "products": [
            {"event": p.event.slug, "product_id": p.product_id, "source": p.source}
            for p in contact.products.select_related("event").order_by("id")
        ],
    }


def contact_erase(*, contact: Contact, actor: Any = None) -> Contact:
    """Erase a contact's personal data; the anonymous history keeps the event statistics.

    Plugins holding the person's data elsewhere (orders of the tickets plugin) are told
    through the ``contact_erased`` notification, with the address and the events concerned,
    after commit.
    """
    organizer = contact.organizer
    with transaction.atomic():
        email = contact.email
        event_ids = sorted(set(contact.history.values_list("event_id", flat=True)))
        for field in PROFILE_FIELDS:
            setattr(contact, field, "")
        contact.email = f"erased-{contact.pk}@erased.invalid"
        contact.custom_fields = {}
        contact.marketing_consent = False
        contact.consent_source = ""
        contact.consent_at = None
        _save_profile(contact)
        ContactTag.objects.filter(contact=contact).delete()
        log_action(action="campaigns.contact.erased", organizer=organizer, obj=contact, actor=actor)
        events = list(Event.objects.filter(pk__in=event_ids))
        transaction.on_commit(
            lambda: notify("contact_erased", organizer=organizer, email=email, events=events)
        )
    return contact


def segment_save(
    *,
    organizer: Organizer,
    name: str,
    filters: dict[str, Any],
    segment: Segment | None = None,
    actor: Any = None,
) -> Segment:
    """Create or update a segment; ``filters`` are validated by ``ContactFilterForm`` first."""
    with transaction.atomic():
        creating = segment is None
        if segment is None:
            segment = Segment(organizer=organizer)
        segment.name = name
        segment.filters = filters
        segment.save()
        log_action(
            action="campaigns.segment.created" if creating else "campaigns.segment.changed",
            organizer=organizer,
            obj=segment,
            actor=actor,
            data={"name": name, "filters": filters},
        )
    return segment


def segment_delete(*, segment: Segment, actor: Any = None) -> None:
    with transaction.atomic():
        log_action(action="campaigns.segment.deleted", organizer=segment.organizer, obj=segment, actor=actor)
        segment.delete()


def custom_field_save(
    *, organizer: Organizer, key: str, label: str, type: str, choices: list[str], actor: Any = None
) -> CustomFieldDefinition:
    with transaction.atomic():
        definition = CustomFieldDefinition.objects.create(
            organizer=organizer, key=key, label=label, type=type, choices=choices
        )
        log_action(
            action="campaigns.field.created",
            organizer=organizer,
            obj=definition,
            actor=actor,
            data={"key": key, "type": type},
        )
    return definition


def custom_field_delete(*, definition: CustomFieldDefinition, actor: Any = None) -> None:
    """Remove a field definition; contacts' values of it stay stored until they are next edited."""
    with transaction.atomic():
        log_action(
            action="campaigns.field.deleted",
            organizer=definition.organizer,
            obj=definition,
            actor=actor,
            data={"key": definition.key},
        )
        definition.delete()
