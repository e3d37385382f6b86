"""The server side of `bench.request_path`: one target in its own process, reached over a pipe.

A target is the app (`RunningApp`, real waits, on SQLite or PostgreSQL) with its `FakeSlack` in
the same process, or a bare Bolt app. Before it reports ready, the process sets up what the load
needs through the app's own services: a team, and for the click burst an open round whose DMs
went out through the `FakeSlack`. Afterwards the parent asks it over the pipe for what only this
process can see: the listener pools, the 429s Slack sent, the response_url posts, the log, and
which answers are stored.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as time_of_day
from multiprocessing.connection import Connection
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.authorization import AuthorizeResult
from sqlalchemy import select

from bot.app import make_web_client
from bot.outbound import DEFAULT_RATES, Caller
from bot.polling import poll_until
from bot.sandbox import FakeSlack
from bot.sandbox.people import Person
from bot.sandbox.running import SANDBOX_BOT_TOKEN, SANDBOX_SIGNING_SECRET, RunningApp
from bot.services import pulse, teams
from bot.settings import Settings
from bot.storage.models import Answer, Delivery, Member, Role
from bot.web import HttpServer

TEAM_ID = "T0SANDBOX"
BARE_TEXT = "Bare Bolt says hi."
PULSE_ACTION = r"^pulse\.answer\."
TEAM_ZONE = "America/New_York"
# Every Web API method the stand-in serves, less the ones Slack never rate-limits for us
# (api.test, auth.test: the app calls auth.test once, before the load) and Socket Mode's.
RATE_LIMITED_METHODS = (
    "chat.postMessage",
    "chat.update",
    "chat.delete",
    "chat.postEphemeral",
    "chat.scheduleMessage",
    "conversations.open",
    "conversations.members",
    "conversations.info",
    "conversations.history",
    "users.info",
    "users.list",
    "usergroups.users.list",
    "usergroups.list",
    "team.info",
    "views.open",
    "views.push",
    "views.update",
    "views.publish",
    "files.getUploadURLExternal",
    "files.completeUploadExternal",
)
RETRY_AFTER_SECONDS = 60


@dataclass(frozen=True)
class Spec:
    """What to serve and what to set up before the load."""

    label: str
    kind: str  # "bare" or "app"
    database_url: str | None = None
    members: tuple[str, ...] = ()  # one team; the first is its owner
    other_users: tuple[str, ...] = ()  # people in the workspace outside the team
    open_round: bool = False  # start a round now and send its DMs
    ratelimit_everything: bool = False  # 429, Retry-After 60, to every method from the start


@dataclass(frozen=True)
class Ready:
    """What the parent needs to send the load."""

    url: str
    slack_url: str | None  # the FakeSlack's base URL (response_url posts go there)
    dms: dict[str, tuple[str, dict[str, Any]]]  # user -> (DM channel, pulse message)
    setup_seconds: float


class _Counting(logging.Handler):
    """Counts the log records at WARNING and above, by logger and message template."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[f"{record.levelname} {record.name}: {record.msg}"] += 1


# --- the child process ---------------------------------------------------------------------------
@contextmanager
def bare_bolt(http_threads: int, listener_threads: int) -> Iterator[str]:
    """A bare Bolt app that acks `/atlas` with a short text and acks a pulse click."""
    app = App(
        signing_secret=SANDBOX_SIGNING_SECRET,
        token_verification_enabled=False,
        authorize=lambda enterprise_id, team_id: AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-bare", bot_user_id="U0B"
        ),
        listener_executor=ThreadPoolExecutor(max_workers=listener_threads),
    )

    @app.command("/atlas")
    def atlas(ack: Ack) -> None:
        ack(response_type="ephemeral", text=BARE_TEXT)

    @app.action(re.compile(PULSE_ACTION))
    def click(ack: Ack) -> None:
        ack()

    server = HttpServer(
        SlackRequestHandler(app), host="127.0.0.1", port=0, threads=http_threads
    ).start()
    try:
        yield server.url
    finally:
        server.stop()


def _set_up(
    running: RunningApp, slack: FakeSlack, spec: Spec
) -> dict[str, tuple[str, dict[str, Any]]]:
    """The team, and if asked an open round whose DMs were sent: each member's pulse DM."""
    for user in spec.other_users:
        slack.add_user(user, tz=TEAM_ZONE)
    if not spec.members:
        return {}
    # No quiet hours: the round is due for everyone the moment it starts.
    team = teams.create_team(
        db=running.db,
        slack_team_id=slack.team_id,
        name="Bench team",
        timezone=TEAM_ZONE,
        quiet_start=time_of_day(0, 0),
        quiet_end=time_of_day(0, 0),
    )
    for n, user in enumerate(spec.members):
        slack.add_user(user, tz=TEAM_ZONE)
        role = Role.OWNER if n == 0 else Role.MEMBER
        teams.add_member(db=running.db, team_id=team.id, slack_user_id=user, role=role)
    if not spec.open_round:
        return {}
    # The served app reads the real clock, so the round opens now and stays open for hours.
    started = pulse.start_now(db=running.db, team_id=team.id, now=datetime.now(UTC))
    unpaced = Caller(
        make_web_client(running.settings, SANDBOX_BOT_TOKEN, retries=False),
        rates={method: 10_000.0 for method in DEFAULT_RATES},
    )
    report = pulse.deliver(
        db=running.db, round_id=started.round_id, caller=unpaced, clock=lambda: datetime.now(UTC)
    )
    if report.sent != len(spec.members):
        raise RuntimeError(f"{spec.label}: {report.sent} of {len(spec.members)} DMs went out")
    dms = {}
    for user in spec.members:
        message = Person(user, slack, running.sender()).latest_pulse()
        assert message is not None, f"{user} got no pulse"
        dms[user] = (slack.dm_channel(user), message)
    return dms


def _stored_answers(running: RunningApp) -> list[tuple[str, str]]:
    """Every stored (person, question), read from the database."""
    with running.db.unit_of_work() as session:
        rows = session.execute(
            select(Member.slack_user_id, Answer.question_id)
            .join(Delivery, Delivery.id == Answer.delivery_id)
            .join(Member, Member.id == Delivery.member_id)
        ).all()
    return [(user, question) for user, question in rows]


def _answer(
    request: tuple[Any, ...], running: RunningApp | None, slack: FakeSlack | None, log: _Counting
) -> Any:
    """One request from the parent."""
    match request:
        case ("idle", seconds):
            # How soon the listener threads are all free again (hand-offs are not theirs).
            if running is None:
                return True
            return poll_until(lambda: not running.pool.in_flight, seconds, interval=0.005)
        case ("report",):
            if running is None:
                return {"logged": dict(log.counts), "cpu": time.process_time()}
            return {
                "cpu": time.process_time(),  # this process's CPU seconds, every thread
                "listeners_busy": running.pool.in_flight,
                "handoffs_waiting": running.ctx.background.in_flight,
                "ratelimited": slack.ratelimited_count(),
                "api_calls": len(slack.calls),
                "responses": dict(Counter(str(r.get("text", "")) for r in slack.responses)),
                "logged": dict(log.counts),
            }
        case ("stored",):
            return _stored_answers(running)
    raise ValueError(f"unknown request {request!r}")


def serve(spec: Spec, conn: Connection) -> None:
    """Child process: set up, send `Ready`, then answer the parent until it says stop."""
    began = time.monotonic()
    # waitress warns "Task queue depth is N" whenever requests wait for a thread: by design here.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    log = _Counting()  # the app's warnings are counted (and reported), not printed
    logging.getLogger().addHandler(log)
    running = slack = None
    with ExitStack() as stack:
        try:
            settings = Settings(_env_file=None)
            if spec.kind == "bare":
                url = stack.enter_context(
                    bare_bolt(settings.http_threads, settings.listener_threads)
                )
                ready = Ready(url, None, {}, time.monotonic() - began)
            else:
                slack = stack.enter_context(FakeSlack(team_id=TEAM_ID))
                assert spec.database_url is not None
                running = RunningApp(slack, spec.database_url).start()  # real waits
                dms = _set_up(running, slack, spec)
                if spec.ratelimit_everything:
                    for method in RATE_LIMITED_METHODS:
                        slack.fail(
                            method, "ratelimited", times=None, retry_after=RETRY_AFTER_SECONDS
                        )
                ready = Ready(running.url, slack.base_url, dms, time.monotonic() - began)
        except Exception:
            conn.send(("error", traceback.format_exc()))
            return
        conn.send(("ready", ready))
        while True:
            try:
                request = conn.recv()
            except (EOFError, OSError):
                break
            if request == ("stop",):
                break
            try:
                conn.send(("ok", _answer(request, running, slack, log)))
            except Exception:
                conn.send(("error", traceback.format_exc()))
        if running is not None and running.ctx.background.in_flight:
            # Hand-offs are still waiting out a Retry-After of a minute (or its pacing), each
            # for as long as Slack keeps refusing: draining them is not what is measured.
            conn.close()
            os._exit(0)
        if running is not None:
            running.stop()


# --- the parent's handle -----------------------------------------------------------------------
class Served:
    """A target running in its own process."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        context = multiprocessing.get_context("spawn")
        self._conn, theirs = context.Pipe()
        self._process = context.Process(target=serve, args=(spec, theirs), daemon=True)
        self._process.start()
        theirs.close()
        self._ready: Ready | None = None
        self._stopped = False

    def ready(self, timeout: float = 300.0) -> Ready:
        """Wait for the process to finish setting up; its `Ready`."""
        if self._ready is None:
            status, detail = self._receive(timeout, "start")
            if status != "ready":
                raise RuntimeError(f"{self.spec.label}: server failed to start:\n{detail}")
            self._ready = detail
        return self._ready

    def ask(self, *request: Any, timeout: float = 60.0) -> Any:
        """Send one request to the process and return its answer."""
        self._conn.send(request)
        status, detail = self._receive(timeout, request[0])
        if status != "ok":
            raise RuntimeError(f"{self.spec.label}: {request[0]} failed:\n{detail}")
        return detail

    def _receive(self, timeout: float, what: str) -> tuple[str, Any]:
        if not self._conn.poll(timeout):
            raise RuntimeError(f"{self.spec.label}: no answer to {what} within {timeout:.0f} s")
        try:
            return self._conn.recv()
        except EOFError:
            raise RuntimeError(f"{self.spec.label}: the server process died") from None

    def stop(self) -> None:
        """Stop the process (killed if it does not end within 20 s); again: nothing."""
        if self._stopped:
            return
        self._stopped = True
        with suppress(OSError):
            self._conn.send(("stop",))
        self._process.join(20)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
        self._conn.close()


@contextmanager
def served(specs: list[Spec]) -> Iterator[list[Served]]:
    """Start every target at once (set-up runs in parallel), stop them all at the end."""
    started: list[Served] = []
    try:
        for spec in specs:
            started.append(Served(spec))
        yield started
    finally:
        for server in started:
            server.stop()
