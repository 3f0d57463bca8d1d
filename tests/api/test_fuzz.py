"""Schemathesis runs every phase over every API operation: no answer is a 5xx or breaks the schema.

The run drives the WSGI application in-process with the same engine as ``schemathesis run``
(examples, coverage, fuzzing and stateful phases). It starts from the demo data plus the objects
the demo has no use for (a second team with a token, a member and an invitation, a webhook with
a delivery, a check-in list, an invoice; the organizer's contact, segment, campaign, automation
rule and template, video servers and a CMS connection), and the path parameters of the schema are
narrowed to the ids of those objects, so event-scoped operations are reached instead of answering
404. A generated plugin list would switch plugins off for the rest of the run: they are switched
back on after each update.

``make test`` runs every phase in a bounded pass (five examples per operation, the coverage phase
with valid boundary values only); ``make fuzz`` sets ``EVENTYAY_FUZZ_EXAMPLES`` for the long run,
the coverage phase in full.
"""

from __future__ import annotations

import copy
import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import override_settings
from django_scopes import scope, scopes_disabled
from rest_framework.test import APIClient

#: The checks that make "no 5xx, no schema violation" (the others judge API design choices).
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)
PARAMETER = re.compile(r"\{(\w+)\}/$")


@dataclass(frozen=True)
class Finding:
    label: str
    text: str


@dataclass
class FuzzReport:
    operations: set[str] = field(default_factory=set)
    cases: int = 0
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    failures: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    phases: dict[str, str] = field(default_factory=dict)

    def unreached(self) -> list[str]:
        """Operations that never got past "not found", so the run says nothing about them."""
        return sorted(
            label
            for label in self.operations
            if not any(code != 404 for code in self.statuses.get(label, Counter()))
        )


@dataclass
class FuzzData:
    token: str
    document: dict[str, Any]
    #: Path parameter values by the path up to the parameter, e.g. ``.../products/{id}/``.
    values: dict[str, Any]
    organizer: str
    event: str


def _first(client: APIClient, path: str, name: str) -> Any:
    """The ``name`` of the first item listed at ``path`` (its ``id`` if items have no ``name``)."""
    response = client.get(path)
    if response.status_code != 200:
        return None
    body = response.json()
    items = body["results"] if isinstance(body, dict) and "results" in body else body
    if not items:
        return None
    return items[0][name] if name in items[0] else items[0]["id"]


def path_values(client: APIClient, paths: list[str], fixed: dict[str, Any]) -> dict[str, Any]:
    """A real value for every path parameter: the first item the matching list operation returns.

    ``fixed`` names values for parameters by name (the organizer, event and team to use).
    """
    values: dict[str, Any] = {}

    def resolve(template: str) -> str:
        """``template`` with its parameters replaced, resolving parents first."""
        result = ""
        for part in re.split(r"(\{\w+\})", template):
            if part.startswith("{"):
                prefix = template[: template.index(part) + len(part)] + "/"
                value = value_for(prefix)
                if value is None:
                    return ""
                result += str(value)
            else:
                result += part
        return result

    def value_for(prefix: str) -> Any:
        if prefix not in values:
            name = PARAMETER.search(prefix)
            assert name is not None, prefix
            if name.group(1) in fixed:
                values[prefix] = fixed[name.group(1)]
            else:
                listing = resolve(prefix[: name.start()])
                values[prefix] = _first(client, listing, name.group(1)) if listing else None
        return values[prefix]

    for path in paths:
        resolve(path)
    return values


def narrow_path_parameters(document: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` in which each path parameter accepts only its known value.

    Only path parameters change; bodies, query parameters and responses stay as documented.
    """
    narrowed = copy.deepcopy(document)
    for path, item in narrowed["paths"].items():
        for operation in [item, *(op for op in item.values() if isinstance(op, dict))]:
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") != "path":
                    continue
                marker = "{" + parameter["name"] + "}"
                prefix = path[: path.index(marker) + len(marker)] + "/"
                value = values.get(prefix)
                if value is None:
                    continue
                parameter["schema"] = {
                    "type": "integer" if isinstance(value, int) else "string",
                    "enum": [value],
                }
    return narrowed


def seed() -> dict[str, Any]:
    """The demo data plus what the demo has no use for, so that every operation has an object."""
    from eventyay_talk.models import Question, Submission
    from eventyay_talk.services.cfp import answers_save
    from eventyay_tickets.models import Order
    from eventyay_tickets.services.checkin import checkin_list_save
    from eventyay_tickets.services.invoices import invoice_create

    from eventyay.base.models import Team, User, WebHook, WebHookDelivery
    from eventyay.base.services.demo import demo_setup
    from eventyay.base.services.teams import team_invite, team_member_add, team_save, token_create

    result = demo_setup(admin_password="correct horse battery")
    organizer, event = result.organizer, result.event
    with scope(organizer=organizer):
        with scopes_disabled():
            admins = Team.objects.get(organizer=organizer, name="Administrators")
        _token, secret = token_create(team=admins, name="fuzz")
        # Path parameters point at this team, so the run cannot revoke the token it uses.
        team = team_save(organizer=organizer, name="Fuzzed", permissions=[], all_events=True, limit_events=[])
        token_create(team=team, name="fuzzed")
        team_member_add(
            team=team, user=User.objects.create_user("fuzzed@example.org", "correct horse battery")
        )
        team_invite(team=team, email="invitee@example.org")
        # Disabled, and at a name that never resolves: the run sends no webhook anywhere.
        hook = WebHook.objects.create(
            organizer=organizer,
            target_url="https://webhook.invalid/",
            enabled=False,
            action_types=["order.paid"],
        )
        WebHookDelivery.objects.create(webhook=hook, action_type="order.paid", payload={"code": "ABC"})
        checkin_list_save(event=event, data={"name": "Entrance", "all_products": True})
        invoice_create(order=Order.objects.filter(event=event).order_by("pk").first())
        question = Question.objects.create(event=event, question={"en": "Dietary needs"})
        submission = Submission.objects.filter(event=event).order_by("pk").first()
        answers_save(event=event, target="submission", values={question.pk: "none"}, submission=submission)
    organizer_objects_create(organizer.slug, event.slug, secret)
    return {"token": secret, "organizer": organizer.slug, "event": event.slug, "team": team.pk}


#: One object of each kind the demo does not make, created through the API as a client would.
ORGANIZER_OBJECTS = {
    "contacts/": {"email": "fuzzed-contact@example.org", "first_name": "Fuzz", "city": "Berlin"},
    "segments/": {"name": "Berlin", "filters": {"city": "Berlin"}},
    "automation/templates/": {
        "name": "Hello",
        "channel": "email",
        "subject": "Hi",
        "body": "Hi {first_name}",
    },
    "campaigns/": {
        "name": "Invitation",
        "filter": {"city": "Berlin"},
        "subject": "Join us, {first_name}",
        "body": "Hello {first_name}, the [programme](https://example.org/) is out.",
        "utm_source": "newsletter",
        "utm_medium": "email",
        "utm_campaign": "fuzz",
    },
    "video/bbb-servers/": {"url": "http://127.0.0.1:9/bigbluebutton/", "secret": "a-shared-secret"},
    "video/janus-servers/": {"url": "http://127.0.0.1:9/janus"},
    "video/streaming-servers/": {
        "name": "CDN",
        "ingest_url_template": "rtmp://127.0.0.1:9/live/{stream}?key={key}",
        "playback_url_template": "http://127.0.0.1:9/hls/{stream}.m3u8",
    },
}


def organizer_objects_create(organizer: str, event: str, token: str) -> None:
    """The organizer's CRM, video servers and a CMS connection, so their operations are reached.

    The servers point at a closed local port; the fuzzing run itself refuses private addresses,
    so nothing it generates reaches them.
    """
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    base = f"/api/v1/organizers/{organizer}/"
    with override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True):
        for path, body in ORGANIZER_OBJECTS.items():
            response = client.post(base + path, body, format="json")
            assert response.status_code == 201, (path, response.content)
        template = client.get(base + "automation/templates/").json()["results"][0]["id"]
        rule = {
            "name": "Welcome buyers",
            "trigger": "order_paid",
            "event": event,
            "conditions": {"city": "Berlin"},
            "actions": [{"kind": "send_message", "template": template}, {"kind": "add_tag", "tag": "buyer"}],
        }
        response = client.post(base + "automation/rules/", rule, format="json")
        assert response.status_code == 201, response.content
        connection = {"type": "wordpress", "base_url": "http://127.0.0.1:9/", "pull": ["pages"], "push": []}
        response = client.post(base + f"events/{event}/cms/connections/", connection, format="json")
        assert response.status_code == 201, response.content


@pytest.fixture
def fuzz_data(transactional_db: None, settings: Any) -> FuzzData:
    # Thousands of requests from one token: the per-client rate limit is not under test here.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api": None}}
    seeded = seed()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {seeded['token']}")
    document = client.get("/api/v1/schema/?format=json").json()
    fixed = {name: seeded[name] for name in ("organizer", "event", "team")}
    values = path_values(client, list(document["paths"]), fixed)
    return FuzzData(
        token=seeded["token"],
        document=document,
        values=values,
        organizer=seeded["organizer"],
        event=seeded["event"],
    )


def plugins_switched_back_on(organizer_slug: str, event_slug: str) -> Any:
    """A callback for :func:`closing`: after a write that can switch plugins off (the event, the
    organizer's plugin list), every plugin of the demo is switched on again."""
    from eventyay.base.models import Event, Organizer
    from eventyay.base.services.demo import demo_plugins
    from eventyay.base.services.organizer_plugins import organizer_plugins_update
    from eventyay.base.services.plugins import event_plugins_update

    switching = {
        f"/api/v1/organizers/{organizer_slug}/plugins/",
        f"/api/v1/organizers/{organizer_slug}/events/{event_slug}/",
    }

    def after_write(path: str) -> None:
        if path not in switching:
            return
        event_plugins, organizer_plugins = demo_plugins()
        with scopes_disabled():
            organizer = Organizer.objects.get(slug=organizer_slug)
            event = Event.objects.get(organizer=organizer, slug=event_slug)
        with scope(organizer=organizer):
            organizer_plugins_update(organizer=organizer, enable=organizer_plugins, is_admin=True)
            event_plugins_update(event=event, enable=event_plugins, is_admin=True)

    return after_write


def closing(application: Any, *, after_write: Any = None) -> Any:
    """``application``, releasing the calling thread's database connections after each request.

    Schemathesis calls the application from a thread of its own per phase and lets the thread
    end with its connection open; with a connection pool (PostgreSQL) each such connection
    stayed checked out for the rest of the session, until later tests found the pool empty.

    ``after_write(path)`` runs after each ``PUT`` and ``PATCH``: a generated plugin list
    (``plugins`` of the event or the organizer) switches plugins off, and every operation of
    theirs would answer 404 for the rest of the run.
    """
    from django.db import connections

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        try:
            response = application(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            if after_write is not None and environ["REQUEST_METHOD"] in ("PUT", "PATCH"):
                after_write(environ["PATH_INFO"])
            connections.close_all()

    return app


def run_schemathesis(
    document: dict[str, Any],
    token: str,
    *,
    phases: dict[str, Any],
    max_examples: int,
    after_write: Any = None,
) -> FuzzReport:
    import schemathesis
    from schemathesis.config import SchemathesisConfig
    from schemathesis.engine import events, from_schema

    from eventyay.config.wsgi import application

    config = SchemathesisConfig.from_dict(
        {
            "seed": 1,
            "cache": {"enabled": False},
            "headers": {"Authorization": f"Token {token}"},
            "workers": 1,
            "generation": {"max-examples": max_examples, "database": "none"},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "phases": phases,
        }
    )
    schema = schemathesis.openapi.from_dict(document, config=config)
    schema.app = closing(application, after_write=after_write)
    report = FuzzReport()
    for event in from_schema(schema).execute():
        if isinstance(event, events.PhaseFinished):
            report.phases[event.phase.name.value] = str(event.status or event.phase.skip_reason)
        elif isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            recorder = event.recorder
            for case_id, interaction in recorder.interactions.items():
                case = recorder.cases[case_id].value
                label = f"{case.method.upper()} {case.operation.path}"
                report.statuses[label][interaction.response.status_code if interaction.response else 0] += 1
                report.cases += 1
            for case_id, checks in recorder.checks.items():
                case = recorder.cases[case_id].value
                for check in checks:
                    if check.failure_info is not None:
                        report.failures.append(
                            Finding(
                                label=f"{case.method.upper()} {case.operation.path}",
                                # The message says which part of the answer broke the schema.
                                text=f"{check.name}: {str(check.failure_info.failure)[:2000]}\n"
                                f"{check.failure_info.code_sample}",
                            )
                        )
        elif isinstance(event, events.NonFatalError):
            report.errors.append(f"{event.label}: {event.info.format()}")
    report.operations = {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "put", "post", "patch", "delete")
    }
    return report


PHASES = ("examples", "coverage", "fuzzing", "stateful")
#: ``make test`` bounds the coverage phase, whose full run sends some fifteen thousand boundary
#: cases: it sends the boundary values of valid input only (invalid input is what the fuzzing
#: phase generates half the time) and leaves methods the schema does not list to the probing.
BOUNDED_COVERAGE = {"unexpected-methods": [], "generation": {"mode": "positive"}}


# Nine thousand requests: about two and a half minutes on a fast machine, and the slowest
# machines the suite runs on are three times slower while another session shares the CPU.
@pytest.mark.timeout(2400)
def test_every_operation_answers_within_the_schema(fuzz_data: FuzzData) -> None:
    long_run = "EVENTYAY_FUZZ_EXAMPLES" in os.environ
    phases: dict[str, Any] = {name: {"enabled": True} for name in PHASES}
    if not long_run:
        phases["coverage"].update(BOUNDED_COVERAGE)
    report = run_schemathesis(
        narrow_path_parameters(fuzz_data.document, fuzz_data.values),
        fuzz_data.token,
        phases=phases,
        max_examples=int(os.environ.get("EVENTYAY_FUZZ_EXAMPLES", "5")),
        after_write=plugins_switched_back_on(fuzz_data.organizer, fuzz_data.event),
    )
    findings = sorted({f"{f.label}: {f.text}" for f in report.failures})
    print(
        f"\nschemathesis: {len(report.operations)} operations, {report.cases} cases, "
        f"{len(findings)} findings; phases {report.phases}"
    )
    print("never past 404:", report.unreached())
    assert not report.errors, "\n\n".join(report.errors)
    assert not findings, "\n\n".join(findings)
    # The examples phase has nothing to send while the schema documents no examples.
    for name in set(PHASES) - {"examples"}:
        assert report.phases[name] in ("success", "failure"), f"the {name} phase did not run"
    # The objects made for the run are reached, list and detail: no plugin stayed switched off.
    reached = report.operations - set(report.unreached())
    for path in [*ORGANIZER_OBJECTS, "automation/rules/", "events/{event}/cms/connections/"]:
        listing = f"GET /api/v1/organizers/{{organizer}}/{path}"
        assert listing in reached, listing
        assert any(label.startswith(listing + "{") for label in reached), f"{listing}{{id}}/"
