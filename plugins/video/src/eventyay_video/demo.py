"""Demo data: rooms with a stream, chat history, a poll and questions (idempotent)."""

from __future__ import annotations

from eventyay.base.models import Event
from eventyay_video import services
from eventyay_video.models import ChatMessage, Module, Poll, PollOption, PollVote, Question, Room
from eventyay_video.tokens import VideoUser

DEMO_STREAM = "https://test-streams.mux.dev/x36xhzz/x36xhzz.m3u8"

ROOMS = [
    ("Main stage", "Keynotes and the main track, streamed live.", "Main hall"),
    ("Room Ada", "Talks on software and operations.", "Room Ada"),
    ("Room Grace", "Talks on community and design.", "Room Grace"),
    ("Workshop room", "Hands-on sessions.", "Workshop room"),
]
CHAT = [
    ("Ada", "Hello everyone, greetings from Berlin!"),
    ("Grace", "The stream looks great."),
    ("Linus", "Will the slides be shared afterwards?"),
    ("Ada", "Yes, they are linked in the schedule."),
    ("Margaret", "Joining from the train, the audio is clear."),
    ("Tim", "Great question about caching in the Q&A!"),
    ("Grace", "Which room is the accessibility workshop in?"),
    ("Ada", "Workshop room, right after lunch."),
]


def demo_data_create(*, event: Event) -> None:
    for order, (name, description, talk_room) in enumerate(ROOMS):
        room = Room.objects.filter(event=event, name=name).first()
        if room is None:
            room = services.room_save(
                event=event,
                data={"name": name, "description": description, "order": order, "talk_room_name": talk_room},
            )
        if not room.modules.exists():
            services.module_save(
                room=room, kind=Module.Kind.LIVESTREAM_HLS, config={"url": DEMO_STREAM}, order=0
            )
            for position, kind in enumerate((Module.Kind.CHAT, Module.Kind.POLLS, Module.Kind.QUESTIONS), 1):
                services.module_save(room=room, kind=kind, config={}, order=position)
        if not ChatMessage.objects.filter(channel=room.channel).exists():
            ChatMessage.objects.bulk_create(
                [
                    ChatMessage(
                        channel=room.channel,
                        sender_uid=f"demo:{sender.lower()}",
                        sender_name=sender,
                        content=text,
                    )
                    for sender, text in CHAT
                ]
            )
        if not Poll.objects.filter(room=room).exists():
            poll = Poll.objects.create(room=room, question="Where are you watching from?", created_by="demo")
            options = PollOption.objects.bulk_create(
                [
                    PollOption(poll=poll, text=text, order=i)
                    for i, text in enumerate(["Home", "Office", "On the go"])
                ]
            )
            PollVote.objects.bulk_create(
                [PollVote(poll=poll, option=options[i % 3], uid=f"demo:voter{i}") for i in range(7)]
            )
        if not Question.objects.filter(room=room).exists():
            asker = VideoUser(uid="demo:linus", name="Linus")
            Question.objects.create(
                room=room, uid=asker.uid, sender_name=asker.name, content="How do I get started?"
            )
            Question.objects.create(
                room=room, uid="demo:grace", sender_name="Grace", content="Is there a recording?", pinned=True
            )
