"""Websocket actions of the exhibition and the poster hall (mixed into the video consumer).

``exhibition.list``, ``exhibition.get``, ``exhibition.contact``, ``exhibition.contact_accept``,
``exhibition.contact_decline``, ``poster.list``, ``poster.get`` and ``poster.vote``; business rules
are in :mod:`eventyay_video.exhibition`. A socket that lists or opens the exhibition joins its
user's group (answers to its contact requests) and the staff groups of the booths it moderates.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from eventyay_video import exhibition
from eventyay_video.models import ChatChannel, Exhibitor
from eventyay_video.services import VideoError

if TYPE_CHECKING:
    from eventyay.base.models import Event
    from eventyay_video.tokens import VideoUser


class ExhibitionActions:
    """Needs the consumer's connection state, group membership and database pool (declared below)."""

    if TYPE_CHECKING:
        event: Event
        user: VideoUser | None
        visible_rooms: frozenset[int]
        moderates_all: bool

        def is_moderator(self, room_id: int | None) -> bool: ...

        # ``func(*args)`` on the database pool, in the organizer's scope (the consumer's in_scope).
        def run_scoped(self, *args: Any, **kwargs: Any) -> Awaitable[Any]: ...

        groups_joined: set[str]

        async def _join_group(self, group: str) -> None: ...

        async def _leave_group(self, group: str) -> None: ...

        def _check_flood(self) -> None: ...

    def staffs(self, exhibitor: Exhibitor) -> bool:
        """Booth moderators are its staff; moderators of every room staff every booth."""
        return self.moderates_all if exhibitor.room_id is None else self.is_moderator(exhibitor.room_id)

    def _exhibitor(self, exhibitor_id: Any) -> Exhibitor:
        try:
            exhibitor_id = int(exhibitor_id)
        except (TypeError, ValueError):
            raise VideoError("exhibition.unknown")
        found = (
            exhibition.exhibitors_visible(event=self.event, room_ids=self.visible_rooms)
            .filter(pk=exhibitor_id)
            .first()
        )
        if found is None:
            raise VideoError("exhibition.unknown")
        return found

    async def _subscribe(self, staffed: list[int]) -> None:
        assert self.user is not None
        await self._join_group(exhibition.visitor_group(self.event.pk, self.user.uid))
        for exhibitor_id in staffed:
            await self._join_group(exhibition.staff_group(exhibitor_id))

    def _staffed_ids(self) -> list[int]:
        """The booths the user staffs now (call on the database pool)."""
        exhibitors = exhibition.exhibitors_visible(event=self.event, room_ids=self.visible_rooms)
        return [e.pk for e in exhibitors if self.staffs(e)]

    async def _staff_refresh(self) -> list[int]:
        """After the user's rights changed: the booths they staff now. A socket that subscribed
        to the exhibition joins the staff groups of new booths and leaves those of former ones."""
        assert self.user is not None
        staffed = await self.run_scoped(self._staffed_ids)
        if exhibition.visitor_group(self.event.pk, self.user.uid) in self.groups_joined:
            wanted = {exhibition.staff_group(exhibitor_id) for exhibitor_id in staffed}
            prefix = exhibition.staff_group(0)[:-1]
            for group in [g for g in self.groups_joined if g.startswith(prefix) and g not in wanted]:
                await self._leave_group(group)
            await self._subscribe(staffed)
        return staffed

    def _exhibition_list(self) -> dict[str, Any]:
        exhibitors = list(exhibition.exhibitors_visible(event=self.event, room_ids=self.visible_rooms))
        return {
            "exhibitors": [exhibition.exhibitor_dict(e) | {"staff": self.staffs(e)} for e in exhibitors],
        }

    async def exhibition_list(self, payload: dict[str, Any]) -> dict[str, Any]:
        result = await self.run_scoped(self._exhibition_list)
        await self._subscribe([e["id"] for e in result["exhibitors"] if e["staff"]])
        return result

    def _exhibition_get(self, exhibitor_id: Any) -> dict[str, Any]:
        assert self.user is not None
        exhibitor = self._exhibitor(exhibitor_id)
        staff = self.staffs(exhibitor)
        requests = exhibition.contact_requests_of(exhibitor=exhibitor, uid=None if staff else self.user.uid)
        return {
            "exhibitor": exhibition.exhibitor_dict(exhibitor, full=True, staff=staff),
            "staff": staff,
            "requests": [exhibition.contact_request_dict(r, with_call=not staff) for r in requests],
        }

    async def exhibition_get(self, payload: dict[str, Any]) -> dict[str, Any]:
        result = await self.run_scoped(self._exhibition_get, payload.get("exhibitor"))
        await self._subscribe([result["exhibitor"]["id"]] if result["staff"] else [])
        return result

    def _contact(self, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.user is not None
        exhibitor = self._exhibitor(payload.get("exhibitor"))
        request = exhibition.contact_request_create(
            exhibitor=exhibitor, user=self.user, message=payload.get("message", "")
        )
        return {"request": exhibition.contact_request_dict(request, with_call=True)}

    async def exhibition_contact(self, payload: dict[str, Any]) -> dict[str, Any]:
        self._check_flood()
        await self._subscribe([])
        return await self.run_scoped(self._contact, payload)

    def _answer(self, payload: dict[str, Any], accept: bool) -> dict[str, Any]:
        assert self.user is not None
        request = exhibition.contact_request_answer(
            event=self.event,
            request_id=payload.get("request"),
            accept=accept,
            user=self.user,
            may_answer=self.staffs,
        )
        return {"request": exhibition.contact_request_dict(request)}

    async def exhibition_contact_accept(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await self.run_scoped(self._answer, payload, True)

    async def exhibition_contact_decline(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await self.run_scoped(self._answer, payload, False)

    # --- posters ---------------------------------------------------------------------------------

    def _poster_list(self, category: Any) -> dict[str, Any]:
        assert self.user is not None
        if category is not None and not isinstance(category, str):
            raise VideoError("protocol.invalid")
        posters = exhibition.posters_visible(
            event=self.event, room_ids=self.visible_rooms, uid=self.user.uid, category=category
        )
        return {
            "posters": [exhibition.poster_dict(p) for p in posters],
            "categories": exhibition.poster_categories(event=self.event, room_ids=self.visible_rooms),
        }

    async def poster_list(self, payload: dict[str, Any]) -> dict[str, Any]:
        result = await self.run_scoped(self._poster_list, payload.get("category") or None)
        # The hall view shows vote counts: keep them current (``poster.updated``).
        for room_id in {poster["room"] for poster in result["posters"] if poster["room"] is not None}:
            await self._join_group(exhibition.poster_hall_group(room_id))
        return result

    def _poster_get(self, poster_id: Any) -> dict[str, Any]:
        assert self.user is not None
        try:
            poster_id = int(poster_id)
        except (TypeError, ValueError):
            raise VideoError("poster.unknown")
        poster = (
            exhibition.posters_visible(event=self.event, room_ids=self.visible_rooms, uid=self.user.uid)
            .select_related("event__organizer")
            .filter(pk=poster_id)
            .first()
        )
        if poster is None:
            raise VideoError("poster.unknown")
        return {"poster": exhibition.poster_dict(poster, full=True)}

    async def poster_get(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await self.run_scoped(self._poster_get, payload.get("poster"))

    def _poster_vote(self, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.user is not None
        poster, count = exhibition.poster_vote(
            event=self.event,
            room_ids=self.visible_rooms,
            user=self.user,
            poster_id=payload.get("poster"),
            vote=payload.get("vote", True) is not False,
        )
        return {"poster": poster.pk, "votes": count, "voted": payload.get("vote", True) is not False}

    async def poster_vote(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await self.run_scoped(self._poster_vote, payload)

    def poster_channel(self, channel_id: int) -> ChatChannel | None:
        """A poster's discussion channel, if the user may see the poster (call on the database pool)."""
        poster = exhibition.poster_of_channel(
            event=self.event, channel_id=channel_id, room_ids=self.visible_rooms
        )
        return None if poster is None else ChatChannel(pk=channel_id, event=self.event, room=None)


EXHIBITION_ACTIONS: dict[str, Callable[[Any, dict[str, Any]], Awaitable[dict[str, Any]]]] = {
    "exhibition.list": ExhibitionActions.exhibition_list,
    "exhibition.get": ExhibitionActions.exhibition_get,
    "exhibition.contact": ExhibitionActions.exhibition_contact,
    "exhibition.contact_accept": ExhibitionActions.exhibition_contact_accept,
    "exhibition.contact_decline": ExhibitionActions.exhibition_contact_decline,
    "poster.list": ExhibitionActions.poster_list,
    "poster.get": ExhibitionActions.poster_get,
    "poster.vote": ExhibitionActions.poster_vote,
}
