"""Logs, health and the pool gauge: JSON or text as set, the scheduler's health following its
ticks, the health server over HTTP, and the listener pool's work in flight."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_sdk.socket_mode.builtin import SocketModeClient
from sqlalchemy import event

from bot import observability
from bot.context import AppContext
from bot.listeners.pool import ListenerPool
from bot.polling import poll_until
from bot.sandbox.signer import post_raw, wsgi_transport
from bot.scheduling.runner import Ticker
from bot.settings import SettingsError, load_settings
from bot.storage.db import Database
from tests.conftest import needs_real_timed_waits
from tests.logs import json_lines

UNREACHABLE_DATABASE = "postgresql+psycopg://nobody@127.0.0.1:1/none"


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class FakeClock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


def get(app: Callable[..., Any], path: str) -> tuple[int, Any]:
    """GET `path` from a WSGI app in this process: (status, JSON body or text)."""
    reply = wsgi_transport(app)("http://in-process" + path, b"", {}, "GET")
    is_json = reply.headers.get("content-type") == "application/json"
    return reply.status, reply.json if is_json else reply.text


# --- log format ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("setting", "stream", "chosen"),
    [
        ("auto", Terminal(), "text"),
        ("auto", io.StringIO(), "json"),
        ("json", Terminal(), "json"),
        ("text", io.StringIO(), "text"),
    ],
)
def test_logs_are_json_unless_a_person_is_reading_them(
    setting: str, stream: io.StringIO, chosen: str
) -> None:
    assert observability.choose_format(setting, stream) == chosen


def test_log_format_and_health_port_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    monkeypatch.delenv("HEALTH_PORT", raising=False)
    settings = load_settings(_env_file=None, log_format=" JSON ", health_port="0")
    assert settings.log_format == "json" and settings.health_port == 0
    defaults = load_settings(_env_file=None)
    assert defaults.log_format == "auto" and defaults.health_port == 9090
    with pytest.raises(SettingsError, match="LOG_FORMAT"):
        load_settings(_env_file=None, log_format="xml")
    with pytest.raises(SettingsError, match="HEALTH_PORT"):
        load_settings(_env_file=None, health_port=70000)


def _log_from_a_process(**env: str) -> str:
    """stderr of a process that configures logging from its settings and logs one line."""
    program = (
        "import logging\n"
        "from bot.settings import load_settings\n"
        "load_settings(_env_file=None).configure_logging()\n"
        "logging.getLogger('bot.jobs').info('tick', extra={'job': 'pulse-tick', 'sent': 3})\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LOG_", "SLACK_"))}
    done = subprocess.run(
        [sys.executable, "-c", program],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stderr


@pytest.mark.servers  # starts a process
def test_a_process_whose_stderr_is_not_a_terminal_logs_json_lines() -> None:
    [line] = _log_from_a_process().splitlines()
    record = json.loads(line)
    assert record["logger"] == "bot.jobs" and record["level"] == "INFO"
    assert record["message"] == "tick" and record["job"] == "pulse-tick" and record["sent"] == 3
    assert record["time"].startswith("20")


@pytest.mark.servers  # starts a process
def test_log_format_text_forces_plain_lines() -> None:
    [line] = _log_from_a_process(LOG_FORMAT="text").splitlines()
    assert line.endswith(" INFO bot.jobs: tick")
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


@pytest.mark.parametrize(
    ("body", "described"),
    [
        ({"command": "/atlas", "team_id": "T1"}, ("command", "/atlas", "T1")),
        (
            {"type": "block_actions", "team": {"id": "T1"}, "actions": [{"action_id": "a1"}]},
            ("action", "a1", "T1"),
        ),
        (
            {"type": "view_submission", "user": {"team_id": "T2"}, "view": {"callback_id": "c"}},
            ("view", "c", "T2"),
        ),
        (
            {"type": "event_callback", "event": {"type": "app_home_opened"}},
            ("event", "app_home_opened", None),
        ),
        ({"type": "block_actions", "actions": "x", "team": ["T1"]}, ("action", None, None)),
        ({"type": 7, "command": 3}, ("other", None, None)),
        ([1, 2], ("other", None, None)),
    ],
)
def test_a_request_is_named_by_its_command_action_callback_or_event(
    body: object, described: tuple[str, str | None, str | None]
) -> None:
    assert observability.describe(body) == described


# --- scheduler health ------------------------------------------------------------------------
@pytest.fixture
def ctx(app_context: AppContext) -> AppContext:
    return app_context


@pytest.fixture
def job_lines() -> Iterator[io.StringIO]:
    with json_lines("bot.jobs") as stream:
        yield stream


def _scheduler_health(ticker: Ticker, ctx: AppContext) -> Callable[..., Any]:
    checks = {"database": observability.database_check(ctx.db), "scheduler": ticker.health}
    return observability.health_app("scheduler", checks, db=ctx.db)


def test_the_scheduler_is_healthy_while_ticks_finish_and_not_once_they_stop(
    ctx: AppContext, job_lines: io.StringIO
) -> None:
    clock = FakeClock()
    ticker = Ticker(ctx, interval_seconds=60, clock=clock)
    health = _scheduler_health(ticker, ctx)
    assert get(health, "/healthz")[0] == 200  # just started: the first tick is on its way
    clock.now += 60
    ticker()
    status, body = get(health, "/healthz")
    assert status == 200
    assert body == {
        "ok": True,
        "process": "scheduler",
        "database": "ok",
        "scheduler": "last tick finished 0 s ago",
    }
    clock.now += 179
    assert get(health, "/healthz")[0] == 200
    clock.now += 2  # three intervals without a tick finishing
    status, body = get(health, "/healthz")
    assert status == 503 and body["ok"] is False
    assert body["scheduler"] == "last tick finished 181 s ago" and body["database"] == "ok"
    ticker()
    assert get(health, "/healthz")[0] == 200
    lines = [json.loads(line) for line in job_lines.getvalue().splitlines()]
    assert [(line["job"], line["outcome"]) for line in lines] == [("pulse-tick", "ok")] * 2
    assert all(line["duration_ms"] >= 0 and len(line["run_id"]) == 12 for line in lines)
    assert lines[0]["run_id"] != lines[1]["run_id"] and lines[0]["sent"] == 0


def test_a_scheduler_that_never_ticks_turns_unhealthy(ctx: AppContext) -> None:
    clock = FakeClock()
    ticker = Ticker(ctx, interval_seconds=60, clock=clock)
    clock.now += 180
    status, body = get(_scheduler_health(ticker, ctx), "/healthz")
    assert status == 503 and body["scheduler"] == "no tick finished in 180 s since start"


def test_a_failing_tick_is_logged_as_an_error_and_does_not_count_as_alive(
    ctx: AppContext, job_lines: io.StringIO
) -> None:
    clock = FakeClock()
    ticker = Ticker(ctx, interval_seconds=60, clock=clock)
    ticker()
    working = ctx.db
    ctx.db = Database.from_url(UNREACHABLE_DATABASE)
    try:
        clock.now += 120
        ticker()  # cannot read the teams: the tick fails
        clock.now += 61
        status, body = get(_scheduler_health(ticker, ctx), "/healthz")
    finally:
        ctx.db.dispose()
        ctx.db = working
    assert status == 503
    assert body["scheduler"] == "last tick finished 181 s ago"
    assert body["database"] == "OperationalError"
    failed = json.loads(job_lines.getvalue().splitlines()[-1])
    assert failed["outcome"] == "error" and failed["level"] == "ERROR"
    assert "OperationalError" in failed["exc_info"]


def test_a_long_tick_still_running_is_alive(ctx: AppContext) -> None:
    clock = FakeClock()
    ticker = Ticker(ctx, interval_seconds=60, clock=clock)
    seen: list[tuple[bool, str]] = []

    def ten_minutes_pass(*_: object) -> None:
        # The tick's first query takes ten minutes (a fan-out waiting out rate limits, say).
        if not seen:
            clock.now += 600
            seen.append(ticker.health())

    event.listen(ctx.db.engine, "before_cursor_execute", ten_minutes_pass)
    try:
        ticker()
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", ten_minutes_pass)
    assert seen == [(True, "tick running for 600 s")]
    assert ticker.health() == (True, "last tick finished 0 s ago")


# --- the health server -----------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_health_server_answers_over_http_and_port_0_turns_it_off(
    ctx: AppContext,
) -> None:
    alive = {"flag": True}
    checks = {
        "database": observability.database_check(ctx.db),
        "worker": lambda: (alive["flag"], "fine" if alive["flag"] else "stuck"),
    }
    assert observability.start_health_server("scheduler", 0, checks) is None
    server = observability.start_health_server(
        "scheduler", _free_port(), checks, host="127.0.0.1", db=ctx.db
    )
    assert server is not None
    try:
        reply = post_raw(server.url + "/healthz", b"", {}, method="GET")
        assert reply.status == 200 and reply.json["worker"] == "fine"
        alive["flag"] = False
        reply = post_raw(server.url + "/healthz", b"", {}, method="GET")
        assert reply.status == 503 and reply.json == {
            "ok": False,
            "process": "scheduler",
            "database": "ok",
            "worker": "stuck",
        }
        metrics = post_raw(server.url + "/metrics", b"", {}, method="GET")
        assert metrics.status == 200
        assert "atlas_pulse_open_rounds 0.0" in metrics.text
        assert "atlas_requests_total" in metrics.text
        assert post_raw(server.url + "/nope", b"", {}, method="GET").status == 404
    finally:
        server.stop()


@needs_real_timed_waits
def test_socket_mode_is_unhealthy_until_its_socket_is_connected(ctx: AppContext) -> None:
    client = SocketModeClient(app_token="xapp-test")
    try:
        checks = {
            "database": observability.database_check(ctx.db),
            "socket": observability.socket_check(client),
        }
        status, body = get(observability.health_app("socket-mode", checks), "/healthz")
    finally:
        client.close()
    assert status == 503 and body["socket"] == "disconnected" and body["database"] == "ok"


def test_a_check_that_raises_fails_the_health_check() -> None:
    def broken() -> tuple[bool, str]:
        raise TimeoutError

    status, body = get(observability.health_app("scheduler", {"tick": broken}), "/healthz")
    assert status == 503 and body["tick"] == "TimeoutError"


# --- the listener pool gauge -----------------------------------------------------------------
def _in_flight(pool: str) -> float:
    found = observability.REGISTRY.get_sample_value("atlas_listener_pool_in_flight", {"pool": pool})
    return found or 0.0


def test_the_pool_gauge_follows_work_in_flight() -> None:
    pool = ListenerPool(max_workers=1, thread_name_prefix="gauge-test")
    release = threading.Event()
    try:
        assert (
            observability.REGISTRY.get_sample_value(
                "atlas_listener_pool_workers", {"pool": "gauge-test"}
            )
            == 1
        )
        pool.submit(release.wait)
        pool.submit(lambda: None)  # queued behind the first: the pool is saturated
        assert _in_flight("gauge-test") == 2
        release.set()
        assert poll_until(lambda: _in_flight("gauge-test") == 0, 10)
        assert pool.in_flight == 0
    finally:
        release.set()
        pool.shutdown(wait=True)
