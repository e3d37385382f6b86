"""Generated requests at /slack/events: never a 5xx, never a stack trace, never a failed listener.

One app takes a few thousand requests: unsigned and malformed ones, and correctly signed ones of
every kind Slack sends (slash commands, clicks, modal submissions and closes, shortcuts, events).
The signed ones start from Slack's own envelope; what they carry is generated (odd text, garbage
ids, our own action and callback ids with values nobody sent, dates and numbers out of range),
and one in three also has one part of the envelope removed or replaced by a value of any type.
The app must answer each with a 2xx or a 4xx, and no listener may fail on one: the person would
see "something went wrong" where a plain answer (or nothing) is right.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import time
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.ids import COMMAND, ActionId, CallbackId
from bot.sandbox import FakeSlack
from bot.sandbox.running import SANDBOX_SIGNING_SECRET, RunningApp
from bot.services import workflows
from bot.storage.models import Role
from tests.services.conftest import Env, utc

EXAMPLES = 2000
NOW = utc(2026, 2, 13, 17, 0)  # Friday: the week's pulse round is open, office hours were on
NY = "America/New_York"
FORM = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"

# --- values ----------------------------------------------------------------------------------
ODD_STRINGS = [
    "",
    " ",
    "0",
    "1",
    "2",
    "3",
    "-1",
    " 1 ",
    "1.5",
    "1e9",
    "NaN",
    "²",  # a digit to str.isdigit, not to int()
    "١٢",  # Arabic-Indic digits: int() reads them
    "9" * 30,
    "2147483648",
    "9223372036854775808",
    "\x00",
    "\u202e",
    "<@U0OWNER>",
    "<!channel>",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "2026-02-14",
    "99:99",
    "23:59",
    "Dec 24",
    "null",
    "{}",
    "[]",
    '{"team_id": 1}',
    '{"team_id": "1"}',
    '{"team_id": 1, "workflow_id": 1}',
    '{"workflow_id": 99999999999999999999}',
    '{"team_id": -1, "workflow_id": 1}',
    "x" * 4000,
]
odd_text = st.one_of(st.sampled_from(ODD_STRINGS), st.text(max_size=30))
numbers = st.one_of(
    st.sampled_from(["1", "2", "3", "0", "-1", "²", "١", "9" * 25, "2147483648", "", "abc"]),
    st.integers().map(str),
)
anything = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), odd_text),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
# The team's owner and member come up twice as often as people outside it.
USERS = ["U0OWNER", "U0MEMBER1", "U0OWNER", "U0MEMBER1", "U0NOBODY", "USLACKBOT", "U0ATLASBOT"]
TEAMS = ["T0SANDBOX", "T0SANDBOX", "T0OTHER"]
users = st.sampled_from(USERS)
teams = st.sampled_from(TEAMS)
# Mostly one of ours, sometimes any text: a value inside the envelope, for listeners to judge.
user_values = st.one_of(users, odd_text)
CHANNELS = ["C0GENERAL", "C0OFFICE", "D0DM"]


def _places(value: Any, found: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every (container, key) in a nest of dicts and lists."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, inner in list(items):
        found.append((value, key))
        if isinstance(inner, dict | list):
            _places(inner, found)
    return found


@st.composite
def sound_or_mangled(draw: st.DrawFn, base: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    """Slack's own envelope, or one time in three the same with one part removed or replaced
    by a value of any type."""
    whole = draw(base)
    if draw(st.integers(0, 2)):
        return whole
    container, key = draw(st.sampled_from(_places(whole, [])))
    if isinstance(container, dict) and draw(st.booleans()):
        del container[key]
    else:
        container[key] = draw(anything)
    return whole


# --- slash commands --------------------------------------------------------------------------
DATES = ["9999-12-31", "0001-01-01", "2026-02-13", "2026-02-14", "2027-02-14", "2099-01-01"]
DATES += ["Feb 29", "31 Dec 9999", "Dec 24", "24/12/2026", "until 2026-12-24", "till", "x" * 41]
dates = st.one_of(st.sampled_from(DATES), odd_text)
# What follows each word of `/atlas`: the arguments it reads, and anything at all.
ARGUMENTS: dict[str, st.SearchStrategy[str]] = {
    "": st.just(""),
    "help": odd_text,
    "list": odd_text,
    "stage": numbers,
    "recovery": odd_text,
    "2.2": odd_text,
    "pause": dates,
    "pause until": dates,
    "resume": odd_text,
    "me": odd_text,
    "pulse": st.sampled_from(["now", "NOW", "later"]) | odd_text,
    "status": st.sampled_from(["share on", "share off", "share"]) | odd_text,
    "check": odd_text,
    "setup": st.sampled_from(["new", "Team 2", "team 2"]) | odd_text,
    "workflow": st.sampled_from(["add", "list", "edit", "edit Weekly report"]) | odd_text,
    "workflows": st.sampled_from(["list", "edit weekly report"]) | odd_text,
}
command_text = st.sampled_from([*sorted(ARGUMENTS), None]).flatmap(
    lambda word: (
        st.text(max_size=60)
        if word is None
        else ARGUMENTS[word].map(lambda rest: f"{word} {rest}".strip())
    )
)


def command_forms(slack: FakeSlack) -> st.SearchStrategy[dict[str, str]]:
    """A slash command's form fields (a form carries only strings)."""
    sound = st.fixed_dictionaries(
        {
            "token": st.just("deprecated"),
            "command": st.sampled_from([COMMAND, COMMAND, COMMAND, "/other"]),
            "text": command_text,
            "user_id": users,
            "user_name": odd_text,
            "team_id": teams,
            "channel_id": st.sampled_from(CHANNELS),
            "trigger_id": st.just("1.trigger"),
            "response_url": st.just(slack.base_url + "/response/fuzz"),
            "api_app_id": st.just("A0ATLAS"),
        }
    )
    return sound_or_mangled(sound).map(
        lambda form: {k: v if isinstance(v, str) else json.dumps(v) for k, v in form.items()}
    )


# --- interactions ----------------------------------------------------------------------------
OUR_ACTIONS = [
    *(a.value for a in ActionId),
    "pulse.answer.ai_frequency",
    "pulse.answer.ai_tools",
    "pulse.answer.go_to_person",
    "pulse.answer.confidential_paste.no",
    "pulse.answer.",
    "check_in.on_track.yes",
    "check_in.on_track.maybe",
    "check_in.shipped.no",
    "check_in.shipped.",
]
BLOCK_IDS = [
    "pulse|1|ai_frequency",
    "pulse|1|ai_tools",
    "pulse|1|go_to_person",
    "pulse|²|ai_tools",
    "pulse|99999999999999999999|ai_frequency",
    "pulse|1|",
    "pulse|1|nope",
    "home",
    "atlas.mode_card",
]
options = st.lists(st.fixed_dictionaries({"value": odd_text}), max_size=3)
actions = st.fixed_dictionaries(
    {
        "action_id": st.one_of(st.sampled_from(OUR_ACTIONS), st.text(max_size=20)),
        "block_id": st.one_of(st.sampled_from(BLOCK_IDS), odd_text),
        "type": st.sampled_from(["button", "multi_static_select", "users_select", "overflow"]),
        "action_ts": st.just("1700000000.000001"),
    },
    optional={
        "value": st.one_of(numbers, odd_text),
        "selected_options": options,
        "selected_option": st.fixed_dictionaries({"value": odd_text}),
        "selected_user": st.one_of(st.none(), user_values),
    },
)
FIELDS = [
    "name",
    "channel",
    "usergroup",
    "owner",
    "ai_lead",
    "sponsor",
    "rollout_start",
    "timezone",
    "pulse_day",
    "pulse_time",
    "min_group_size",
    "tools",
    "office_hours_channel",
    "office_hours_day",
    "office_hours_time",
    "office_hours_minutes",
    "check_in",
    "check_in_day",
    "check_in_time",
    "pulse",
    "team",
    "shipped_on",
    "minutes_before",
    "minutes_after",
    "stage_1",
    "stage_2",
    "note_2.2",
    "note_9.9",
]
inputs = st.one_of(
    st.fixed_dictionaries({"type": st.just("plain_text_input"), "value": st.none() | odd_text}),
    st.fixed_dictionaries({"type": st.just("number_input"), "value": st.none() | numbers}),
    st.fixed_dictionaries(
        {
            "type": st.just("static_select"),
            "selected_option": st.none() | st.fixed_dictionaries({"value": odd_text}),
        }
    ),
    st.fixed_dictionaries({"type": st.just("multi_static_select"), "selected_options": options}),
    st.fixed_dictionaries({"type": st.just("users_select"), "selected_user": st.none() | users}),
    st.fixed_dictionaries(
        {
            "type": st.just("conversations_select"),
            "selected_conversation": st.none() | st.sampled_from(CHANNELS) | odd_text,
        }
    ),
    st.fixed_dictionaries({"type": st.just("datepicker"), "selected_date": st.none() | odd_text}),
    st.fixed_dictionaries({"type": st.just("timepicker"), "selected_time": st.none() | odd_text}),
)
state_values = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), st.text(max_size=8)),
    st.dictionaries(st.sampled_from(["value", "marks", "note", "other"]), inputs, max_size=2),
    max_size=8,
)
CALLBACKS = [c.value for c in CallbackId]
views = st.fixed_dictionaries(
    {
        "id": st.just("V0FUZZ"),
        "type": st.just("modal"),
        "callback_id": st.one_of(st.sampled_from(CALLBACKS), st.text(max_size=12)),
        "private_metadata": st.one_of(st.sampled_from(ODD_STRINGS), numbers),
        "state": st.fixed_dictionaries({"values": state_values}),
        "hash": st.just("h"),
    }
)


def interaction_payloads(slack: FakeSlack) -> st.SearchStrategy[dict[str, Any]]:
    """A `payload=` body of one of the interactions Slack sends."""
    who = {
        "user": st.fixed_dictionaries({"id": users, "team_id": teams, "username": odd_text}),
        "team": st.fixed_dictionaries({"id": teams, "domain": st.just("sandbox")}),
        "api_app_id": st.just("A0ATLAS"),
        "token": st.just("deprecated"),
        "is_enterprise_install": st.just(False),
    }
    response_url = st.just(slack.base_url + "/response/fuzz")
    on_message = st.fixed_dictionaries(
        {
            **who,
            "type": st.just("block_actions"),
            "trigger_id": st.just("2.trigger"),
            "actions": st.lists(actions, min_size=1, max_size=2),
            "container": st.just({"type": "message", "message_ts": "1700000000.000100"}),
            "channel": st.fixed_dictionaries({"id": st.sampled_from(CHANNELS)}),
            "message": st.fixed_dictionaries(
                {
                    "ts": st.just("1700000000.000100"),
                    "text": odd_text,
                    "blocks": st.lists(anything, max_size=2),
                }
            ),
            "response_url": response_url,
        }
    )
    on_view = st.fixed_dictionaries(
        {
            **who,
            "type": st.just("block_actions"),
            "trigger_id": st.just("2.trigger"),
            "actions": st.lists(actions, min_size=1, max_size=2),
            "container": st.just({"type": "view", "view_id": "V0FUZZ"}),
            "view": views.map(lambda v: {**v, "type": "home"}) | views,
        }
    )
    submitted = st.fixed_dictionaries(
        {
            **who,
            "type": st.sampled_from(["view_submission", "view_closed"]),
            "trigger_id": st.just("3.trigger"),
            "view": views,
        }
    )
    shortcut = st.fixed_dictionaries(
        {
            **who,
            "type": st.sampled_from(["shortcut", "message_action"]),
            "callback_id": st.one_of(st.sampled_from(CALLBACKS), odd_text),
            "trigger_id": st.just("4.trigger"),
        }
    )
    return sound_or_mangled(st.one_of(on_message, on_view, submitted, shortcut))


# --- events ----------------------------------------------------------------------------------
def _event(kind: str, **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"type": st.just(kind), "event_ts": st.just("1700000000.000200"), **fields}
    )


profile = st.fixed_dictionaries(
    {
        "id": users,
        "team_id": teams,
        "deleted": st.booleans(),
        "is_bot": st.booleans(),
        "tz": st.sampled_from(["Europe/Berlin", "Nowhere/Nothing", ""]),
    }
)
channel_events = st.sampled_from(["member_joined_channel", "member_left_channel"])
events = st.one_of(
    _event(
        "app_home_opened",
        user=users,
        channel=st.just("D0DM"),
        tab=st.sampled_from(["home", "messages", ""]),
    ),
    channel_events.flatmap(
        lambda kind: _event(
            kind,
            user=users,
            channel=st.sampled_from(CHANNELS),
            team=teams,
            inviter=users,
            channel_type=st.sampled_from(["C", "G"]),
        )
    ),
    _event(
        "subteam_members_changed",
        subteam_id=st.sampled_from(["S0GROUP", "S0NONE"]),
        added_users=st.lists(users, max_size=3),
        removed_users=st.lists(users, max_size=3),
    ),
    _event("team_join", user=profile),
    _event("user_change", user=profile),
    _event("app_uninstalled"),
    _event(
        "tokens_revoked",
        tokens=st.fixed_dictionaries(
            {"oauth": st.lists(users, max_size=2), "bot": st.lists(users, max_size=2)}
        ),
    ),
    _event("message", user=users, channel=st.sampled_from(CHANNELS), text=odd_text),
    _event("nothing_we_know"),
)
callbacks = st.fixed_dictionaries(
    {
        "token": st.just("deprecated"),
        "type": st.just("event_callback"),
        "team_id": teams,
        "api_app_id": st.just("A0ATLAS"),
        "event": events,
        "event_id": st.sampled_from(["Ev1", "Ev2", "Ev3", "Ev4"]),
        "event_time": st.integers(0, 2**31),
        "authorizations": st.lists(
            st.fixed_dictionaries(
                {"team_id": teams, "user_id": st.just("U0ATLASBOT"), "is_bot": st.just(True)}
            ),
            min_size=1,
            max_size=1,
        ),
        "is_ext_shared_channel": st.just(False),
    }
)
verifications = st.fixed_dictionaries(
    {"type": st.just("url_verification"), "challenge": odd_text, "token": st.just("deprecated")}
)
event_bodies = sound_or_mangled(st.one_of(callbacks, verifications))

# --- raw requests ----------------------------------------------------------------------------
TIMESTAMPS = ["abc", "1e9", "", "12.5", "-5", "9" * 40, "0", " 1 ", "１２３", "²"]
SIGNATURES = ["v0=00", "", "v1=abc", "v0=é", "💥"]
CONTENT_TYPES = [FORM, JSON_TYPE, "text/plain", "multipart/form-data; boundary=x", "", "💥"]
CONTENT_LENGTHS = [None, "", "abc", "-1", "0", "99999999999", "1e3", " 5 ", "١٢"]


@st.composite
def raw_requests(draw: st.DrawFn) -> dict[str, Any]:
    """Bytes and headers of any sort: unsigned, signed wrongly, stale, or signed but unreadable."""
    body = draw(
        st.one_of(
            st.binary(max_size=200),
            st.text(max_size=200).map(str.encode),
            st.sampled_from(
                [b"payload=%7Bnot-json", b"{not json", b"[1]", b'"s"', b"\xff\xfe", b"payload="]
            ),
        )
    )
    sign = draw(st.sampled_from(["none", "wrong", "right", "stale"]))
    headers: dict[str, str] = {}
    now = int(time.time())
    if sign == "wrong":
        headers["X-Slack-Request-Timestamp"] = draw(
            st.one_of(st.sampled_from(TIMESTAMPS), st.just(str(now)))
        )
        headers["X-Slack-Signature"] = draw(st.sampled_from(SIGNATURES))
    elif sign in ("right", "stale"):
        headers.update(_signature(body, str(now if sign == "right" else now - 400)))
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    if content_type:
        headers["Content-Type"] = content_type
    return {
        "body": body,
        "headers": headers,
        "length": draw(st.sampled_from([*CONTENT_LENGTHS, str(len(body)), str(len(body))])),
        "method": draw(st.sampled_from(["POST", "POST", "POST", "GET", "PUT"])),
    }


def _signature(body: bytes, stamp: str) -> dict[str, str]:
    digest = hmac.new(
        SANDBOX_SIGNING_SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256
    ).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def _call_wsgi(running: RunningApp, request: dict[str, Any]) -> tuple[int, bytes]:
    """Hand a request to the app's WSGI entry point with exactly these headers (the signed
    sender would set Content-Length and the method itself)."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request["method"],
        "PATH_INFO": "/slack/events",
        "QUERY_STRING": "",
        "SERVER_NAME": "sandbox",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(request["body"]),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
    }
    if request["length"] is not None:
        environ["CONTENT_LENGTH"] = request["length"]
    for name, value in request["headers"].items():
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
    status: list[int] = []

    def start_response(line: str, _headers: list[tuple[str, str]], *_: Any) -> None:
        status.append(int(line.split(" ", 1)[0]))

    assert running.wsgi is not None
    data = b"".join(running.wsgi(environ, start_response))
    return status[0], data


# --- the run ---------------------------------------------------------------------------------
class _Errors(logging.Handler):
    """Every ERROR record any logger emits while the app runs."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def errors() -> Iterator[_Errors]:
    handler = _Errors()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


@pytest.fixture
def seeded(running: RunningApp, slack: FakeSlack) -> RunningApp:
    """A team with a pulse round, an office hours session, a check-in and a workflow, so that
    small generated ids find real rows; the app's clock stands still in that week."""
    env = Env(db=running.db, slack=slack, app=running.ctx)
    slack.channel_members["C0OFFICE"] = ["U0OWNER", "U0MEMBER1"]
    team_id = env.team(
        [("U0OWNER", NY, Role.OWNER), ("U0MEMBER1", "Europe/Berlin", Role.MEMBER)],
        created="2026-02-02",
        office_hours_channel_id="C0OFFICE",
    )
    for when in (utc(2026, 2, 9, 15, 0), utc(2026, 2, 12, 13, 0), utc(2026, 2, 13, 16, 0)):
        env.tick(when)
    workflows.add(
        db=running.db,
        team_id=team_id,
        data=workflows.read(
            {"name": "Weekly report", "owner": "U0MEMBER1"}, today=date(2026, 2, 9)
        ),
        by="U0OWNER",
        now=utc(2026, 2, 9, 16, 0),
    )
    running.ctx.clock = lambda: NOW
    return running


def _check(running: RunningApp, errors: _Errors, status: int, body: bytes) -> None:
    """No 5xx, no stack trace, and nothing logged as an error once the work after the ack ends."""
    assert status < 500, f"answered {status}: {body[:300]!r}"
    assert b"Traceback" not in body
    running.settle()
    if errors.records:
        failed = "\n".join(logging.Formatter().format(r) for r in errors.records)
        raise AssertionError(f"logged as an error:\n{failed}")


# Raw bytes are refused at the door in microseconds; most of the run goes to signed requests.
KINDS = ["raw", "command", "command", "command", "interaction", "interaction", "interaction"]
KINDS += ["event", "event"]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_request_gets_a_5xx_a_stack_trace_or_a_failed_listener(
    seeded: RunningApp, slack: FakeSlack, errors: _Errors, data: st.DataObject
) -> None:
    errors.records.clear()
    sender = seeded.sender()
    kind = data.draw(st.sampled_from(KINDS), label="kind")
    if kind == "raw":
        status, body = _call_wsgi(seeded, data.draw(raw_requests(), label="request"))
        event(f"{kind}: {status}")  # `--hypothesis-show-statistics` shows what reached the app
        _check(seeded, errors, status, body)
        return
    if kind == "command":
        form = data.draw(command_forms(slack), label="form")
        reply = sender.post(urlencode(form).encode(), FORM)
    elif kind == "interaction":
        payload = data.draw(interaction_payloads(slack), label="payload")
        reply = sender.post(urlencode({"payload": json.dumps(payload)}).encode(), FORM)
    else:
        body = data.draw(event_bodies, label="body")
        reply = sender.post(json.dumps(body).encode(), JSON_TYPE)
    event(f"{kind}: {reply.status}")
    _check(seeded, errors, reply.status, reply.body)


@pytest.mark.parametrize("signature", ["v0=é", "v0=" + "0" * 63 + "é", "💥"])
def test_a_signature_with_a_character_beyond_ascii_is_refused_not_a_500(
    running: RunningApp, signature: str
) -> None:
    # hmac.compare_digest raises on such a string instead of answering False.
    body = b"command=%2Fatlas&text=help"
    headers = {**_signature(body, str(int(time.time()))), "X-Slack-Signature": signature}
    request = {"body": body, "headers": headers, "length": str(len(body)), "method": "POST"}
    assert _call_wsgi(running, request)[0] == 401


# Clicks whose value (or block_id) carries a database id, with one past PostgreSQL's INTEGER.
BEYOND_INTEGER = str(2**31)
ID_CLICKS = [
    ("finding.ack", BEYOND_INTEGER, "finding"),
    ("office_hours.rsvp", BEYOND_INTEGER, "office_hours"),
    ("check_in.on_track.yes", BEYOND_INTEGER, "check_in"),
    ("workflow.edit", BEYOND_INTEGER, "workflow"),
    ("workflow.remove", BEYOND_INTEGER, "workflow"),
    ("home.export", BEYOND_INTEGER, "home"),
    ("setup.open", BEYOND_INTEGER, "home"),
    ("pulse.answer.ai_frequency", "daily", f"pulse|{BEYOND_INTEGER}|ai_frequency"),
]


def test_an_id_beyond_the_databases_range_is_an_unknown_id(
    seeded: RunningApp, errors: _Errors
) -> None:
    message = {"ts": "1700000000.000100", "text": "Pulse", "blocks": []}
    for action_id, value, block_id in ID_CLICKS:
        action = {"action_id": action_id, "value": value, "block_id": block_id, "type": "button"}
        reply = seeded.sender().block_action(
            action, user_id="U0OWNER", message=message, channel_id="D0DM"
        )
        _check(seeded, errors, reply.status, reply.body)
