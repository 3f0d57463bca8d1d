"""A BigBlueButton API server in-process, as far as eventyay uses it.

It checks checksums the way BigBlueButton does: the ``checksum`` parameter is cut out of the
query string exactly as received, the algorithm is told by the checksum's length (40 hex
digits SHA-1, 64 SHA-256, 96 SHA-384, 128 SHA-512) and must be one the server allows, and the
hash of ``call + query + secret`` must match; otherwise it answers ``FAILED`` with
``checksumError``. It answers ``create`` (a second create of a live meeting gives
``duplicateWarning``), ``join`` (a redirect to the client, recording who joined as what),
``getMeetings``, ``getMeetingInfo``, ``isMeetingRunning``, ``getRecordings`` and ``end``.
Every request is recorded.
"""

from __future__ import annotations

import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

API_PREFIX = "/bigbluebutton/api/"
HASH_BY_LENGTH = {40: "sha1", 64: "sha256", 96: "sha384", 128: "sha512"}


def _xml(returncode: str, body: str = "", key: str = "", message: str = "") -> str:
    extra = ""
    if key:
        extra += f"<messageKey>{escape(key)}</messageKey>"
    if message:
        extra += f"<message>{escape(message)}</message>"
    return f"<response><returncode>{returncode}</returncode>{body}{extra}</response>"


class FakeBBB:
    def __init__(
        self,
        secret: str = "bbb-shared-secret",
        algorithms: tuple[str, ...] = ("sha1", "sha256", "sha384", "sha512"),
    ) -> None:
        self.secret = secret
        self.algorithms = set(algorithms)
        #: meetingID → {"name", "record", "created", "joined": [(uid, role)], "running"}
        self.meetings: dict[str, dict[str, Any]] = {}
        self.recordings: list[dict[str, Any]] = []
        self.requests: list[tuple[str, dict[str, str]]] = []
        #: While set, every request gets this HTTP status (a broken server or proxy).
        self.fail_status: int | None = None
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/bigbluebutton/"

    def start(self) -> FakeBBB:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- the operator's side -------------------------------------------------------------------

    def end(self, meeting_id: str) -> None:
        """The meeting ends (last user left, or a moderator ended it): it is gone from the server."""
        with self.lock:
            self.meetings.pop(meeting_id, None)

    def add_recording(self, meeting_id: str, name: str) -> None:
        with self.lock:
            self.recordings.append(
                {
                    "recordID": f"{hashlib.sha1(meeting_id.encode()).hexdigest()}-{len(self.recordings)}",
                    "meetingID": meeting_id,
                    "name": name,
                }
            )

    def calls(self, name: str) -> list[dict[str, str]]:
        return [params for call, params in self.requests if call == name]

    # --- the API -------------------------------------------------------------------------------

    def checksum_ok(self, call: str, raw_query: str) -> bool:
        params = parse_qs(raw_query, keep_blank_values=True)
        checksum = (params.get("checksum") or [""])[0]
        if not checksum:
            return False
        query = raw_query.replace(f"&checksum={checksum}", "").replace(f"checksum={checksum}&", "")
        query = query.replace(f"checksum={checksum}", "")
        algorithm = HASH_BY_LENGTH.get(len(checksum))
        if algorithm not in self.algorithms:
            return False
        expected = hashlib.new(algorithm, f"{call}{query}{self.secret}".encode()).hexdigest()
        return checksum == expected

    def answer(self, call: str, params: dict[str, str]) -> tuple[int, dict[str, str], str]:
        meeting_id = params.get("meetingID", "")
        meeting: dict[str, Any] | None
        with self.lock:
            if call == "create":
                if not meeting_id:
                    return (
                        200,
                        {},
                        _xml("FAILED", key="missingParamMeetingID", message="You must specify a meeting ID"),
                    )
                existing = meeting_id in self.meetings
                meeting = self.meetings.setdefault(
                    meeting_id,
                    {
                        "name": params.get("name", ""),
                        "record": params.get("record"),
                        "created": int(time.time() * 1000),
                        "joined": [],
                    },
                )
                body = f"<meetingID>{escape(meeting_id)}</meetingID><createTime>{meeting['created']}</createTime><hasBeenForciblyEnded>false</hasBeenForciblyEnded>"
                if existing:
                    return (
                        200,
                        {},
                        _xml(
                            "SUCCESS", body, "duplicateWarning", "This conference was already in existence."
                        ),
                    )
                return 200, {}, _xml("SUCCESS", body)
            if call == "join":
                meeting = self.meetings.get(meeting_id)
                if meeting is None:
                    return (
                        200,
                        {},
                        _xml(
                            "FAILED",
                            key="invalidMeetingIdentifier",
                            message="The meeting ID that you supplied did not match any existing meetings",
                        ),
                    )
                meeting["joined"].append((params.get("userID", ""), params.get("role", "")))
                return 302, {"Location": f"{self.url}html5client/join?sessionToken=fake"}, ""
            if call == "getMeetings":
                items = "".join(
                    f"<meeting><meetingID>{escape(mid)}</meetingID><meetingName>{escape(m['name'])}</meetingName>"
                    f"<running>{'true' if m['joined'] else 'false'}</running><participantCount>{len(m['joined'])}</participantCount></meeting>"
                    for mid, m in self.meetings.items()
                )
                if not items:
                    return (
                        200,
                        {},
                        _xml("SUCCESS", "<meetings/>", "noMeetings", "no meetings were found on this server"),
                    )
                return 200, {}, _xml("SUCCESS", f"<meetings>{items}</meetings>")
            if call == "getMeetingInfo":
                meeting = self.meetings.get(meeting_id)
                if meeting is None:
                    return (
                        200,
                        {},
                        _xml(
                            "FAILED",
                            key="notFound",
                            message="We could not find a meeting with that meeting ID",
                        ),
                    )
                running = "true" if meeting["joined"] else "false"
                return (
                    200,
                    {},
                    _xml(
                        "SUCCESS",
                        f"<meetingID>{escape(meeting_id)}</meetingID><running>{running}</running>"
                        f"<hasBeenForciblyEnded>false</hasBeenForciblyEnded><endTime>0</endTime>",
                    ),
                )
            if call == "isMeetingRunning":
                meeting = self.meetings.get(meeting_id)
                running = "true" if meeting and meeting["joined"] else "false"
                return 200, {}, _xml("SUCCESS", f"<running>{running}</running>")
            if call == "end":
                self.meetings.pop(meeting_id, None)
                return (
                    200,
                    {},
                    _xml(
                        "SUCCESS",
                        key="sentEndMeetingRequest",
                        message="A request to end the meeting was sent.",
                    ),
                )
            if call == "getRecordings":
                wanted = set(filter(None, meeting_id.split(",")))
                items = "".join(
                    f"<recording><recordID>{r['recordID']}</recordID><meetingID>{escape(r['meetingID'])}</meetingID>"
                    f"<name>{escape(r['name'])}</name><published>true</published><state>published</state>"
                    f"<startTime>1700000000000</startTime><endTime>1700000360000</endTime>"
                    f"<playback><format><type>presentation</type><url>{self.url}playback/presentation/2.3/{r['recordID']}</url>"
                    f"<length>6</length></format></playback></recording>"
                    for r in self.recordings
                    if not wanted or r["meetingID"] in wanted
                )
                if not items:
                    return (
                        200,
                        {},
                        _xml(
                            "SUCCESS",
                            "<recordings/>",
                            "noRecordings",
                            "There are no recordings for the meeting(s).",
                        ),
                    )
                return 200, {}, _xml("SUCCESS", f"<recordings>{items}</recordings>")
        return 200, {}, _xml("FAILED", key="unsupportedRequest", message="This request is not supported.")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                call = parts.path[len(API_PREFIX) :] if parts.path.startswith(API_PREFIX) else ""
                params = {
                    key: values[0] for key, values in parse_qs(parts.query, keep_blank_values=True).items()
                }
                fake.requests.append((call, params))
                if fake.fail_status is not None:
                    self._send(fake.fail_status, {}, "Bad gateway")
                    return
                if not call:
                    self._send(404, {}, "not found")
                    return
                if not fake.checksum_ok(call, parts.query):
                    self._send(
                        200,
                        {},
                        _xml(
                            "FAILED",
                            key="checksumError",
                            message="You did not pass the checksum security check",
                        ),
                    )
                    return
                self._send(*fake.answer(call, params))

            def _send(self, status: int, headers: dict[str, str], body: str) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/xml;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler
