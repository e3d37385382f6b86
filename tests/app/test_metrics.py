"""What an operator sees of the real app: /metrics after requests and Web API calls, and one JSON
log line per request, in HTTP mode and in Socket Mode."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from datetime import time as time_of_day
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot import observability
from bot.sandbox import FakeSlack
from bot.sandbox.running import RunningApp
from bot.sandbox.signer import wsgi_transport
from bot.scheduling.tick import tick
from bot.services import pulse, teams
from tests.conftest import needs_real_timed_waits
from tests.logs import json_lines

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # a Monday afternoon
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(running: RunningApp) -> Samples:
    """GET /metrics from the app, as {(sample name, labels): value}."""
    assert running.wsgi is not None
    reply = wsgi_transport(running.wsgi)("http://in-process/metrics", b"", {}, "GET")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(reply.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value; 0 when the series does not exist yet."""
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def request_lines() -> Iterator[io.StringIO]:
    """What the JSON handler writes for the request log, for the length of the test."""
    with json_lines("bot.requests") as stream:
        yield stream


def lines_of(stream: io.StringIO) -> list[dict[str, Any]]:
    """Every line written so far, each parsed as JSON (a line that is not JSON fails the test)."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_command_is_counted_and_its_ack_latency_observed(running: RunningApp) -> None:
    before = scrape(running)
    assert running.sender().command("2.2").status == 200
    after = scrape(running)
    counted = "atlas_requests_total"
    assert value(after, counted, kind="command", status="200") == (
        value(before, counted, kind="command", status="200") + 1
    )
    observed = "atlas_ack_latency_seconds_count"
    assert value(after, observed, kind="command") == value(before, observed, kind="command") + 1
    waited = "atlas_ack_latency_seconds_sum"
    assert value(after, waited, kind="command") > value(before, waited, kind="command")
    # Slack's 3 s budget is the top bucket, and a card comes back well inside it.
    top = "atlas_ack_latency_seconds_bucket"
    assert value(after, top, kind="command", le="3.0") == (
        value(before, top, kind="command", le="3.0") + 1
    )


def test_a_refused_signature_is_counted_as_a_401(running: RunningApp) -> None:
    sender = running.sender()
    body = b"command=%2Fatlas&text=2.2"
    headers = {**sender.sign(body), "X-Slack-Signature": "v0=" + "0" * 64}
    before = scrape(running)
    reply = sender.post(body, "application/x-www-form-urlencoded", headers=headers)
    assert reply.status == 401
    after = scrape(running)
    name = "atlas_requests_total"
    assert value(after, name, kind="other", status="401") == (
        value(before, name, kind="other", status="401") + 1
    )


def test_a_web_api_429_from_slack_is_counted(running: RunningApp, slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", "ratelimited", times=2, retry_after=3)
    before = scrape(running)
    # The app's paced caller waits out both 429s (in virtual time here) and then delivers.
    result = running.ctx.caller.call("chat.postMessage", channel="U0MEMBER1", text="hello")
    assert result.rate_limited == 2 and result.data is not None
    after = scrape(running)
    limited = "atlas_web_api_ratelimited_total"
    assert value(after, limited, method="chat.postMessage") == (
        value(before, limited, method="chat.postMessage") + 2
    )
    calls = "atlas_web_api_calls_total"
    for outcome, more in (("ratelimited", 2), ("ok", 1)):
        assert value(after, calls, method="chat.postMessage", outcome=outcome) == (
            value(before, calls, method="chat.postMessage", outcome=outcome) + more
        )


def test_metrics_count_the_open_rounds_and_their_dms_from_the_database(
    running: RunningApp,
) -> None:
    samples = scrape(running)
    assert value(samples, "atlas_database_up") == 1
    assert value(samples, "atlas_pulse_open_rounds") == 0
    team = teams.create_team(
        db=running.db,
        slack_team_id=running.slack.team_id,
        name="Ops",
        quiet_start=time_of_day(0, 0),
        quiet_end=time_of_day(0, 0),
    )
    teams.add_member(db=running.db, team_id=team.id, slack_user_id="U0MEMBER1")
    pulse.start_now(db=running.db, team_id=team.id, now=NOW)
    samples = scrape(running)
    assert value(samples, "atlas_pulse_open_rounds") == 1
    assert value(samples, "atlas_pulse_open_round_deliveries", status="sent") == 0
    report = tick(db=running.db, caller=running.ctx.caller, now=NOW, clock=lambda: NOW)
    assert sum(f.sent for f in report.fanouts.values()) == 1
    samples = scrape(running)
    assert value(samples, "atlas_pulse_open_round_deliveries", status="sent") == 1
    assert value(samples, "atlas_pulse_open_round_deliveries", status="retry") == 0


def test_a_command_writes_one_json_request_line(
    running: RunningApp, request_lines: io.StringIO
) -> None:
    assert running.sender().command("2.2").status == 200
    [line] = lines_of(request_lines)
    assert line["logger"] == "bot.requests" and line["level"] == "INFO"
    assert line["mode"] == "http"
    assert line["kind"] == "command" and line["route"] == "/atlas"
    assert line["team_id"] == running.slack.team_id
    assert line["status"] == 200 and line["outcome"] == "ok"
    assert isinstance(line["duration_ms"], float) and 0 < line["duration_ms"] < 3000
    assert len(line["request_id"]) == 12 and line["time"]


def test_each_request_has_its_own_id_and_a_click_names_its_action(
    running: RunningApp, request_lines: io.StringIO
) -> None:
    sender = running.sender()
    sender.command("list")
    sender.block_action({"action_id": "no_such_action", "value": "x"}, user_id="U0MEMBER1")
    first, second = lines_of(request_lines)
    assert first["request_id"] != second["request_id"]
    assert second["kind"] == "action" and second["route"] == "no_such_action"
    assert second["team_id"] == running.slack.team_id


def test_a_refused_request_line_says_so_without_trusting_its_body(
    running: RunningApp, request_lines: io.StringIO
) -> None:
    sender = running.sender()
    body = b"command=%2Fatlas&text=2.2&team_id=TFORGED"
    headers = {**sender.sign(body), "X-Slack-Signature": "v0=" + "0" * 64}
    sender.post(body, "application/x-www-form-urlencoded", headers=headers)
    [line] = lines_of(request_lines)
    assert line["status"] == 401 and line["outcome"] == "rejected"
    assert line["team_id"] is None and line["route"] is None


class SocketStandIn:
    """Where slack_sdk's Socket Mode client would send the app's acks: kept for the test."""

    def __init__(self) -> None:
        self.logger = logging.getLogger("tests.socket")
        self.sent: list[SocketModeResponse] = []

    def send_socket_mode_response(self, response: SocketModeResponse) -> None:
        self.sent.append(response)


@needs_real_timed_waits
def test_a_socket_mode_command_is_acked_logged_and_counted(
    running: RunningApp, request_lines: io.StringIO
) -> None:
    assert running.app is not None
    handler = observability.ObservedSocketModeHandler(running.app, "xapp-test")
    payload = {
        "team_id": running.slack.team_id,
        "user_id": "U0MEMBER1",
        "channel_id": "C0GENERAL",
        "command": "/atlas",
        "text": "2.2",
        "response_url": running.slack.response_url("sock1"),
        "trigger_id": "1.trigger",
    }
    request = SocketModeRequest(type="slash_commands", envelope_id="env-1", payload=payload)
    client = SocketStandIn()
    before = scrape(running)
    try:
        handler.handle(client, request)
    finally:
        handler.client.close()
    [ack] = client.sent
    assert ack.envelope_id == "env-1"
    assert "Only the AI lead uses the tools" in json.dumps(ack.payload)
    [line] = lines_of(request_lines)
    assert line["mode"] == "socket" and line["request_id"] == "env-1"
    assert line["route"] == "/atlas" and line["team_id"] == running.slack.team_id
    assert line["status"] == 200 and line["outcome"] == "ok"
    after = scrape(running)
    name = "atlas_requests_total"
    assert value(after, name, kind="command", status="200") == (
        value(before, name, kind="command", status="200") + 1
    )
