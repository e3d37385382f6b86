"""The HTTP endpoint refuses what Slack did not send, and never answers a bad request with 500.

These go over real HTTP to waitress: the socket, the headers and the body limits as deployed.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest

from bot.sandbox.running import RunningApp
from bot.sandbox.signer import post_raw

FORM = "application/x-www-form-urlencoded"


def _command_body(text: str = "2.2") -> bytes:
    return urlencode(
        {
            "team_id": "T0SANDBOX",
            "user_id": "U0MEMBER1",
            "command": "/atlas",
            "text": text,
            "response_url": "http://127.0.0.1:9/r",
            "trigger_id": "1.t",
        }
    ).encode()


def test_a_bad_signature_is_refused(running_http: RunningApp) -> None:
    sender = running_http.sender()
    body = _command_body()
    headers = sender.sign(body)
    headers["X-Slack-Signature"] = "v0=" + "0" * 64
    reply = sender.post(body, FORM, headers=headers)
    assert reply.status == 401


def test_a_body_changed_after_signing_is_refused(running_http: RunningApp) -> None:
    sender = running_http.sender()
    headers = sender.sign(_command_body("2.2"))
    assert sender.post(_command_body("4.1"), FORM, headers=headers).status == 401


def test_a_missing_signature_is_refused(running_http: RunningApp) -> None:
    reply = post_raw(running_http.url + "/slack/events", _command_body(), {"Content-Type": FORM})
    assert reply.status == 401


def test_a_timestamp_older_than_five_minutes_is_refused(running_http: RunningApp) -> None:
    sender = running_http.sender()
    body = _command_body()
    old = sender.sign(body, timestamp=int(time.time()) - 301)
    assert sender.post(body, FORM, headers=old).status == 401
    fresh = sender.sign(body, timestamp=int(time.time()) - 200)
    assert sender.post(body, FORM, headers=fresh).status == 200


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"payload=%7Bnot-json", FORM),
        (b"{not json", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'"just a string"', "application/json"),
        (b"\xff\xfe\xfd", FORM),
        (b"payload=%5B%5D", FORM),
    ],
)
def test_a_signed_but_malformed_body_gets_400(
    running_http: RunningApp, body: bytes, content_type: str
) -> None:
    sender = running_http.sender()
    headers = (
        sender.sign(body)
        if _is_utf8(body)
        else {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=00"}
    )
    reply = sender.post(body, content_type, headers=headers)
    assert 400 <= reply.status < 500, reply.text


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_an_unsigned_malformed_body_gets_4xx(running_http: RunningApp) -> None:
    reply = post_raw(running_http.url + "/slack/events", b"payload={{{", {"Content-Type": FORM})
    assert reply.status == 401


def test_a_huge_body_is_refused_before_it_is_read(running_http: RunningApp) -> None:
    sender = running_http.sender()
    body = b"text=" + b"x" * 1_100_000
    assert sender.post(body, FORM).status == 413


def test_only_post_is_accepted_on_the_events_path(running_http: RunningApp) -> None:
    reply = post_raw(running_http.url + "/slack/events", b"", {}, method="GET")
    assert reply.status == 405


def test_unknown_paths_are_404(running_http: RunningApp) -> None:
    assert post_raw(running_http.url + "/nope", b"", {}, method="GET").status == 404


def test_health_check_reports_the_database(running_http: RunningApp) -> None:
    reply = post_raw(running_http.url + "/healthz", b"", {}, method="GET")
    assert reply.status == 200
    assert reply.json == {"ok": True, "database": "ok"}


def test_health_check_says_503_when_the_database_is_gone(running_http: RunningApp) -> None:
    from sqlalchemy import create_engine

    running_http.db.engine.dispose()
    running_http.db.engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    reply = post_raw(running_http.url + "/healthz", b"", {}, method="GET")
    assert reply.status == 503 and reply.json["ok"] is False


def test_url_verification_echoes_the_challenge(running_http: RunningApp) -> None:
    sender = running_http.sender()
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "x"}).encode()
    reply = sender.post(body, "application/json")
    assert reply.status == 200 and "abc123" in reply.text


@pytest.mark.parametrize("timestamp", ["abc", "1e9", "", "12.5", "-5", "9" * 40])
def test_a_timestamp_that_is_not_a_whole_number_is_refused_not_a_500(
    running_http: RunningApp, timestamp: str
) -> None:
    headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": "v0=00"}
    sender = running_http.sender()
    reply = sender.post(_command_body(), FORM, headers=headers)
    assert reply.status == 401, reply.text


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "block_actions", "actions": []},
        {"type": "block_actions", "actions": ["x"]},
        {"type": "block_actions", "actions": [{"value": "no action id"}]},
        {"type": "block_actions", "actions": "x", "user": {"id": "U0MEMBER1"}},
        {"type": "view_submission", "view": {"callback_id": "setup"}},
        {"type": "view_submission", "view": ["not", "an", "object"]},
        {"type": "block_actions", "user": "U0MEMBER1", "actions": [{"action_id": "a"}]},
        {"type": ["block_actions"]},
    ],
)
def test_a_signed_payload_of_a_shape_slack_never_sends_gets_400(
    running_http: RunningApp, payload: dict[str, object]
) -> None:
    sender = running_http.sender()
    body = urlencode({"payload": json.dumps({"team": {"id": "T0SANDBOX"}, **payload})}).encode()
    reply = sender.post(body, FORM)
    assert reply.status == 400, reply.text
    assert "Traceback" not in reply.text


@pytest.mark.parametrize("event", [["member_joined_channel"], {"user": "U1"}, "app_home_opened"])
def test_a_signed_event_that_is_not_an_event_object_gets_400(
    running_http: RunningApp, event: object
) -> None:
    sender = running_http.sender()
    body = {"type": "event_callback", "team_id": "T0SANDBOX", "event": event, "event_id": "Ev1"}
    reply = sender.post(json.dumps(body).encode(), "application/json")
    assert reply.status == 400, reply.text
