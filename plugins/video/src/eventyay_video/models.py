"""Virtual rooms, their modules, and the live data of chat, polls and Q&A.

Every model is scoped to the organizer (django-scopes). Users of the video part are not
``User`` rows: they are identified by the ``uid`` of their signed token (a stable id per ticket,
``team:<pk>`` for team members), so attendees never need an account.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from eventyay.base.models import Event, Organizer
from eventyay.base.storage import UnguessableName, get_private_storage


class Room(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="video_rooms")
    name = models.CharField(_("Name"), max_length=200)
    description = models.TextField(_("Description"), blank=True)
    order = models.PositiveIntegerField(_("Position"), default=0)
    #: Traits of which a user needs at least one to see and enter the room (empty: everyone
    #: with a valid token). Ticket holders carry ``product:<id>``, roles ``role:<name>``.
    traits = models.JSONField(_("Required traits"), default=list, blank=True)
    talk_room_name = models.CharField(
        _("Room in the schedule"),
        max_length=200,
        blank=True,
        help_text=_("Shows the current and next talk of this schedule room."),
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("order", "pk")

    def __str__(self) -> str:
        return self.name


class Module(models.Model):
    class Kind(models.TextChoices):
        LIVESTREAM_HLS = "livestream.hls", _("Livestream (HLS)")
        LIVESTREAM_IFRAME = "livestream.iframe", _("Livestream (embedded player)")
        CHAT = "chat", _("Chat")
        POLLS = "polls", _("Polls")
        QUESTIONS = "questions", _("Questions and answers")
        CALL_BBB = "call.bigbluebutton", _("Video call (BigBlueButton)")
        CALL_URL = "call.url", _("Video call (Jitsi or other link)")
        PAGE = "page", _("Static page")
        NETWORKING_ROULETTE = "networking.roulette", _("Networking roulette")

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="modules")
    kind = models.CharField(_("Type"), max_length=32, choices=Kind.choices)
    #: Kind-specific configuration: ``url`` for streams and call links, ``server``, ``secret``
    #: and ``meeting_id`` for BigBlueButton, ``content`` for pages.
    config = models.JSONField(default=dict, blank=True)
    order = models.PositiveIntegerField(_("Position"), default=0)

    objects = ScopedManager(organizer="room__event__organizer")

    class Meta:
        ordering = ("order", "pk")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} in {self.room}"


class Announcement(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="video_announcements")
    text = models.TextField(_("Text"), max_length=1000)
    active = models.BooleanField(_("Shown"), default=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("-created", "-pk")

    def __str__(self) -> str:
        return self.text[:50]


class ChatChannel(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="video_channels")
    room = models.OneToOneField(Room, on_delete=models.CASCADE, related_name="channel", null=True)
    #: The two members of a direct-message channel (no room), ordered so that a pair has one
    #: channel; empty for room channels.
    direct_first = models.CharField(max_length=200, blank=True, default="")
    direct_second = models.CharField(max_length=200, blank=True, default="")

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "direct_first", "direct_second"],
                condition=~models.Q(direct_first=""),
                name="video_one_direct_channel_per_pair",
            )
        ]

    def __str__(self) -> str:
        if self.direct_first:
            return f"Direct messages of {self.direct_first} and {self.direct_second}"
        return f"Chat of {self.room}"


class ChatMessage(models.Model):
    """One chat message. The primary key only grows, so it orders messages within a channel."""

    channel = models.ForeignKey(ChatChannel, on_delete=models.CASCADE, related_name="messages")
    sender_uid = models.CharField(max_length=200)
    sender_name = models.CharField(max_length=200)
    content = models.TextField()
    #: Emoji → list of uids that reacted with it.
    reactions = models.JSONField(default=dict, blank=True)
    deleted = models.BooleanField(default=False)
    #: When the sender last changed the text (None: never edited).
    edited = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="channel__event__organizer")

    class Meta:
        ordering = ("pk",)
        indexes = [models.Index(fields=["channel", "id"])]

    def __str__(self) -> str:
        return f"{self.sender_name}: {self.content[:40]}"


class Poll(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="polls")
    question = models.CharField(_("Question"), max_length=500)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    created_by = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="room__event__organizer")

    class Meta:
        ordering = ("-created", "-pk")

    def __str__(self) -> str:
        return self.question


class PollOption(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    text = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=0)

    objects = ScopedManager(organizer="poll__room__event__organizer")

    class Meta:
        ordering = ("order", "pk")

    def __str__(self) -> str:
        return self.text


class PollVote(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="votes")
    option = models.ForeignKey(PollOption, on_delete=models.CASCADE, related_name="votes")
    uid = models.CharField(max_length=200)

    objects = ScopedManager(organizer="poll__room__event__organizer")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "uid"], name="video_one_vote_per_poll")]

    def __str__(self) -> str:
        return f"{self.uid} → {self.option_id}"


class Question(models.Model):
    class State(models.TextChoices):
        VISIBLE = "visible", _("Visible")
        ARCHIVED = "archived", _("Answered")
        DELETED = "deleted", _("Removed")

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="questions")
    uid = models.CharField(max_length=200)
    sender_name = models.CharField(max_length=200)
    content = models.CharField(max_length=1000)
    pinned = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.VISIBLE)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="room__event__organizer")

    class Meta:
        ordering = ("-pinned", "-created", "-pk")

    def __str__(self) -> str:
        return self.content[:50]


class QuestionVote(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="votes")
    uid = models.CharField(max_length=200)

    objects = ScopedManager(organizer="question__room__event__organizer")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "uid"], name="video_one_vote_per_question")
        ]

    def __str__(self) -> str:
        return f"{self.uid} → {self.question_id}"


class Moderator(models.Model):
    """A video user (by uid) who may moderate every room, or one room. Team members always may."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="video_moderators")
    room = models.ForeignKey(Room, on_delete=models.CASCADE, null=True, blank=True, related_name="moderators")
    uid = models.CharField(_("User id"), max_length=200)
    name = models.CharField(_("Name"), max_length=200, blank=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "room", "uid"], name="video_unique_moderator")
        ]

    def __str__(self) -> str:
        return self.name or self.uid


class Restriction(models.Model):
    """A ban (no entry) or silence (no writing) of a video user for the whole event."""

    class Kind(models.TextChoices):
        BAN = "ban", _("Banned")
        SILENCE = "silence", _("Silenced")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="video_restrictions")
    uid = models.CharField(_("User id"), max_length=200)
    name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(_("Restriction"), max_length=10, choices=Kind.choices)
    created_by = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "uid"], name="video_one_restriction_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.uid}"


class TokenRevocation(models.Model):
    """Tokens of ``uid`` (of every user of the event when ``uid`` is empty) issued before
    ``revoked_before`` no longer open the event, and sockets opened with them are closed.

    One row per user and event (and one for the whole event); revoking again moves the cut-off.
    Tokens issued afterwards (a freshly opened join link) work: a revocation ends sessions, a
    ban (:class:`Restriction`) keeps a user out.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="video_token_revocations")
    uid = models.CharField(_("User id"), max_length=200, blank=True)
    revoked_before = models.DateTimeField()

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "uid"], name="video_one_token_revocation_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.uid or '*'} before {self.revoked_before}"


class ViewerSample(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="viewer_samples")
    time = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField()

    objects = ScopedManager(organizer="room__event__organizer")

    class Meta:
        ordering = ("time",)

    def __str__(self) -> str:
        return f"{self.room_id} at {self.time}: {self.count}"


class Exhibitor(models.Model):
    """A booth of the online exhibition: its own room (with chat) whose moderators are its staff."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="video_exhibitors")
    name = models.CharField(_("Name"), max_length=200)
    short_text = models.CharField(_("Short description"), max_length=300, blank=True)
    text = models.TextField(_("Description"), blank=True)
    logo_url = models.URLField(_("Logo URL"), blank=True)
    logo = models.ImageField(
        _("Logo"), upload_to=UnguessableName("video/exhibitors"), blank=True, max_length=255
    )
    #: ``[{"label": ..., "url": ...}]``: links to the exhibitor's pages and downloads.
    links = models.JSONField(_("Links"), default=list, blank=True)
    #: ``[{"label": ..., "url": ...}]``: profiles on social networks.
    social = models.JSONField(_("Social profiles"), default=list, blank=True)
    #: The booth: chat and modules live there; its moderators are the exhibitor's staff. A
    #: deleted booth room leaves the exhibitor (and its leads) without one.
    room = models.OneToOneField(
        Room, on_delete=models.SET_NULL, null=True, blank=True, related_name="exhibitor"
    )
    call_url = models.URLField(_("Video call link"), blank=True)
    order = models.PositiveIntegerField(_("Position"), default=0)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("order", "name", "pk")

    def __str__(self) -> str:
        return self.name


class ContactRequest(models.Model):
    """An attendee asks an exhibitor's staff for contact; accepted requests are the exhibitor's leads."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    exhibitor = models.ForeignKey(Exhibitor, on_delete=models.CASCADE, related_name="contact_requests")
    uid = models.CharField(_("User id"), max_length=200)
    name = models.CharField(_("Name"), max_length=200)
    message = models.CharField(_("Message"), max_length=500, blank=True)
    state = models.CharField(_("State"), max_length=10, choices=State.choices, default=State.OPEN)
    answered_by = models.CharField(max_length=200, blank=True)
    answered_by_name = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    answered = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organizer="exhibitor__event__organizer")

    class Meta:
        ordering = ("-created", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=["exhibitor", "uid"],
                condition=models.Q(state="open"),
                name="video_one_open_contact_request",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.exhibitor_id} ({self.state})"


class Poster(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="video_posters")
    #: The poster hall: only users who may enter it see the poster (none: every attendee).
    room = models.ForeignKey(Room, on_delete=models.SET_NULL, null=True, blank=True, related_name="posters")
    title = models.CharField(_("Title"), max_length=300)
    #: Author names in order.
    authors = models.JSONField(_("Authors"), default=list, blank=True)
    abstract = models.TextField(_("Abstract"), blank=True)
    category = models.CharField(_("Category"), max_length=100, blank=True)
    pdf = models.FileField(
        _("PDF"),
        storage=get_private_storage,
        upload_to=UnguessableName("video/posters"),
        blank=True,
        max_length=255,
    )
    pdf_name = models.CharField(max_length=255, blank=True)
    #: The talk proposal (its code) the poster presents, when the talk plugin is on.
    submission_code = models.CharField(_("Proposal code"), max_length=32, blank=True)
    #: The poster's discussion (a channel of no room).
    channel = models.OneToOneField(ChatChannel, on_delete=models.CASCADE, related_name="poster")
    order = models.PositiveIntegerField(_("Position"), default=0)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("order", "title", "pk")

    def __str__(self) -> str:
        return self.title


class PosterVote(models.Model):
    poster = models.ForeignKey(Poster, on_delete=models.CASCADE, related_name="votes")
    uid = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="poster__event__organizer")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poster", "uid"], name="video_one_vote_per_poster")]

    def __str__(self) -> str:
        return f"{self.uid} → {self.poster_id}"


class ChatMessageEdit(models.Model):
    """The text a message had before an edit or deletion, kept for moderators."""

    message = models.ForeignKey(ChatMessage, on_delete=models.CASCADE, related_name="edits")
    previous_content = models.TextField()
    by_uid = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="message__channel__event__organizer")

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return f"Edit of {self.message_id} by {self.by_uid}"


class UserProfile(models.Model):
    """What a video user shows others, and whether they accept direct messages (opt-in)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="video_profiles")
    uid = models.CharField(max_length=200)
    display_name = models.CharField(_("Display name"), max_length=100, blank=True)
    avatar_url = models.URLField(_("Avatar URL"), max_length=500, blank=True)
    bio = models.CharField(_("About me"), max_length=500, blank=True)
    accepts_direct_messages = models.BooleanField(_("Accept direct messages"), default=False)
    updated = models.DateTimeField(auto_now=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "uid"], name="video_one_profile_per_user")]

    def __str__(self) -> str:
        return self.display_name or self.uid


class UserBlock(models.Model):
    """``uid`` blocked ``blocked_uid``: no direct messages between them, in either direction."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="video_blocks")
    uid = models.CharField(max_length=200)
    blocked_uid = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "uid", "blocked_uid"], name="video_one_block_per_pair")
        ]

    def __str__(self) -> str:
        return f"{self.uid} blocked {self.blocked_uid}"


class UserReport(models.Model):
    """A video user reported another one (optionally for a message) to the moderators."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DISMISSED = "dismissed", _("Dismissed")
        RESOLVED = "resolved", _("Resolved")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="video_reports")
    reporter_uid = models.CharField(max_length=200)
    reported_uid = models.CharField(max_length=200)
    reason = models.CharField(max_length=1000)
    message = models.ForeignKey(
        ChatMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    created = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    #: When a team member dismissed or resolved the report, and who (``team:<user id>``).
    handled = models.DateTimeField(null=True, blank=True)
    handled_by = models.CharField(max_length=200, blank=True)

    objects = ScopedManager(organizer="event__organizer")

    class Meta:
        ordering = ("-created", "-pk")
        indexes = [models.Index(fields=["event", "status", "-created"], name="video_report_status")]

    def __str__(self) -> str:
        return f"{self.reporter_uid} reported {self.reported_uid}"


class BBBServer(models.Model):
    """A BigBlueButton server of the organizer's pool; every event of the organizer uses it."""

    class Checksum(models.TextChoices):
        SHA256 = "sha256", "SHA-256"
        SHA1 = "sha1", "SHA-1"
        SHA512 = "sha512", "SHA-512"

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="video_bbb_servers")
    #: The API base as BigBlueButton prints it (``bbb-conf --secret``), e.g.
    #: ``https://bbb.example.org/bigbluebutton/``; ``api/<call>`` is appended.
    url = models.URLField(_("API URL"), max_length=500)
    #: Encrypted with :func:`eventyay.base.secrets.secret_encrypt`; never shown again.
    secret = models.TextField(_("Shared secret"))
    checksum = models.CharField(
        _("Checksum algorithm"), max_length=10, choices=Checksum.choices, default=Checksum.SHA256
    )
    weight = models.PositiveIntegerField(
        _("Weight"), default=1, help_text=_("A server of weight 2 gets twice as many meetings as one of 1.")
    )
    max_rooms = models.PositiveIntegerField(_("Meetings at most"), default=0, help_text=_("0: no limit."))
    active = models.BooleanField(
        _("Active"), default=True, help_text=_("Inactive servers get no new meetings.")
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return self.url


class BBBMeeting(models.Model):
    """The meeting of a room's call: its id stays, the server is the one it runs on (or last ran)."""

    room = models.OneToOneField(Room, on_delete=models.CASCADE, related_name="bbb_meeting")
    server = models.ForeignKey(BBBServer, on_delete=models.SET_NULL, null=True, related_name="meetings")
    meeting_id = models.CharField(max_length=100, unique=True)
    assigned = models.DateTimeField(auto_now=True)

    objects = ScopedManager(organizer="room__event__organizer")

    def __str__(self) -> str:
        return self.meeting_id


class StreamingServer(models.Model):
    """Where rooms broadcast to (ingest) and where viewers watch (HLS playback).

    The templates take ``{stream}`` (the room's public stream name) and, in the ingest URL only,
    ``{key}`` (the room's secret stream key): a viewer never learns what lets one broadcast.
    """

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="video_streaming_servers")
    name = models.CharField(_("Name"), max_length=200)
    ingest_url_template = models.CharField(
        _("Ingest URL"),
        max_length=500,
        help_text=_("E.g. rtmp://ingest.example.org/live/{stream}?key={key}"),
    )
    playback_url_template = models.CharField(
        _("Playback URL (HLS)"),
        max_length=500,
        help_text=_("E.g. https://cdn.example.org/hls/{stream}/index.m3u8"),
    )
    active = models.BooleanField(_("Active"), default=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("name", "pk")

    def __str__(self) -> str:
        return self.name


class RoomStream(models.Model):
    """A room's stream on a streaming server, its key, and the health of the primary stream."""

    room = models.OneToOneField(Room, on_delete=models.CASCADE, related_name="stream")
    server = models.ForeignKey(StreamingServer, on_delete=models.PROTECT, related_name="streams")
    stream = models.CharField(max_length=64, unique=True)
    #: Encrypted with :func:`eventyay.base.secrets.secret_encrypt`.
    key = models.TextField()
    key_rotated = models.DateTimeField()
    fallback_url = models.URLField(
        _("Fallback stream"),
        max_length=500,
        blank=True,
        help_text=_("An HLS stream shown while the primary stream is down."),
    )
    #: Consecutive failed health checks of the primary stream.
    failures = models.PositiveIntegerField(default=0)
    primary_ok = models.BooleanField(default=True)
    checked = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organizer="room__event__organizer")

    def __str__(self) -> str:
        return self.stream


class JanusServer(models.Model):
    """A Janus WebRTC server of the organizer's pool; its videoroom plugin hosts the calls of
    roulette matches of every event of the organizer.

    ``api_secret`` (Janus's ``api_secret``) and ``admin_key`` (the videoroom plugin's
    ``admin_key``, needed to create rooms when the server sets one) are stored encrypted
    (``secret_encrypt``) or empty.
    """

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="video_janus_servers")
    url = models.URLField(
        _("Janus HTTP API URL"),
        max_length=500,
        help_text=_("The base of the Janus REST API, e.g. https://janus.example.org/janus"),
    )
    api_secret = models.TextField(blank=True, default="")
    admin_key = models.TextField(blank=True, default="")
    active = models.BooleanField(_("Active"), default=True)
    weight = models.PositiveIntegerField(
        _("Weight"), default=1, help_text=_("A server with twice the weight gets twice the calls.")
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organizer="organizer")

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return self.url


class RouletteCall(models.Model):
    """The call of one roulette match: a private Janus videoroom, or a Jitsi meeting link."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="roulette_calls")
    janus_server = models.ForeignKey(
        JanusServer, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls"
    )
    janus_room = models.BigIntegerField(null=True, blank=True)
    #: The PIN both partners join the Janus room with (shown to them only).
    janus_pin = models.CharField(max_length=64, blank=True, default="")
    #: The room's own secret (encrypted), needed to destroy it; never sent to clients.
    janus_secret = models.TextField(blank=True, default="")
    jitsi_url = models.URLField(max_length=500, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)
    ended = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organizer="room__event__organizer")

    def __str__(self) -> str:
        return f"Call {self.pk} in {self.room_id}"


class RouletteRequest(models.Model):
    """A video user's place in a networking room's roulette: waiting, or matched with a partner.

    One row per user and room, reused: ``waiting_since`` orders the queue (oldest first) and
    ``last_partner_uid`` keeps the same two people from being matched twice in a row.
    """

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        MATCHED = "matched", _("Matched")
        LEFT = "left", _("Left")

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="roulette_requests")
    uid = models.CharField(max_length=200)
    name = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    waiting_since = models.DateTimeField()
    partner_uid = models.CharField(max_length=200, blank=True, default="")
    last_partner_uid = models.CharField(max_length=200, blank=True, default="")
    call = models.ForeignKey(
        RouletteCall, on_delete=models.SET_NULL, null=True, blank=True, related_name="requests"
    )

    objects = ScopedManager(organizer="room__event__organizer")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "uid"], name="video_one_roulette_request_per_user")
        ]
        indexes = [models.Index(fields=["room", "state", "waiting_since"], name="video_roulette_queue")]

    def __str__(self) -> str:
        return f"{self.uid} ({self.state}) in {self.room_id}"
