"""The server side of `bench.request_path`: one target in its own process, reached over a pipe.

A target is the app (`RunningApp`, real waits, on SQLite or PostgreSQL) or a bare Bolt app. The
app's `FakeSlack` runs in a process of its own (`bench._slack_process`), as Slack is remote: the
server process holds the app and nothing else. Before it reports ready, the server process sets
up what the load needs through the app's own services: a team, and for the click burst an open
round whose DMs went out through the stand-in, read back from it over a pipe. Afterwards the
parent asks the server for what only it can see (the listener pools, the hand-offs, the log,
which answers are stored) and the stand-in for the rest (the 429s it sent, the response_url
posts).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import threading
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

from bench._slack_process import SlackProcess, SlackStandIn
from bot.app import make_web_client
from bot.outbound import DEFAULT_RATES, Caller
from bot.polling import poll_until
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
    running: RunningApp, slack: SlackStandIn, spec: Spec
) -> dict[str, tuple[str, dict[str, Any]]]:
    """The team, and if asked an open round whose DMs were sent: each member's pulse DM."""
    slack.add_users((*spec.other_users, *spec.members), tz=TEAM_ZONE)
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
    return slack.pulse_dms(spec.members)


def _stored_answers(running: RunningApp) -> list[tuple[str, str]]:
    """Every stored (person, question), read from the database."""
    with running.db.unit_of_work() as session:
        rows = session.execute(
            select(Member.slack_user_id, Answer.question_id)
            .join(Delivery, Delivery.id == Answer.delivery_id)
            .join(Member, Member.id == Delivery.member_id)
        ).all()
    return [(user, question) for user, question in rows]


class _Watch:
    """What the parent may ask this process about, and a sampler of the listener pool.

    The sampler keeps the most listener tasks in flight (running or queued) since the last
    report: more than the pool's threads means requests waited for a listener.
    """

    def __init__(self, running: RunningApp | None, log: _Counting) -> None:
        self.running, self.log = running, log
        self.peak = 0
        if running is not None:
            threading.Thread(target=self._sample, name="bench-sampler", daemon=True).start()

    def _sample(self) -> None:
        assert self.running is not None
        while True:
            self.peak = max(self.peak, self.running.pool.in_flight)
            time.sleep(0.005)

    def answer(self, request: tuple[Any, ...]) -> Any:
        """One request from the parent."""
        running = self.running
        match request:
            case ("idle", seconds):
                # How soon the listener threads are all free again (hand-offs are not theirs).
                if running is None:
                    return True
                return poll_until(lambda: not running.pool.in_flight, seconds, interval=0.005)
            case ("report",):
                report = {"cpu": time.process_time(), "logged": dict(self.log.counts)}
                if running is None:
                    return report
                peak, self.peak = self.peak, 0
                return {
                    **report,
                    "listeners_peak": peak,
                    "handoffs_waiting": running.ctx.background.in_flight,
                }
            case ("stored",):
                assert running is not None
                return _stored_answers(running)
        raise ValueError(f"unknown request {request!r}")


def serve(spec: Spec, conn: Connection, slack_conn: Connection | None) -> None:
    """Child process: set up, send `Ready`, then answer the parent until it says stop.

    `slack_conn` leads to the app's stand-in (None for the bare Bolt).
    """
    began = time.monotonic()
    # waitress warns "Task queue depth is N" whenever requests wait for a thread: by design here.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    log = _Counting()  # the app's warnings are counted (and reported), not printed
    logging.getLogger().addHandler(log)
    running = None
    with ExitStack() as stack:
        try:
            settings = Settings(_env_file=None)
            if spec.kind == "bare":
                url = stack.enter_context(
                    bare_bolt(settings.http_threads, settings.listener_threads)
                )
                ready = Ready(url, None, {}, time.monotonic() - began)
            else:
                assert spec.database_url is not None and slack_conn is not None
                slack = SlackStandIn.connect(TEAM_ID, slack_conn)
                # The app reads only the stand-in's address (Web API and response_url base).
                running = RunningApp(slack, spec.database_url).start()  # type: ignore[arg-type]
                dms = _set_up(running, slack, spec)
                if spec.ratelimit_everything:
                    slack.refuse(RATE_LIMITED_METHODS, RETRY_AFTER_SECONDS)
                ready = Ready(running.url, slack.base_url, dms, time.monotonic() - began)
        except Exception:
            conn.send(("error", traceback.format_exc()))
            return
        conn.send(("ready", ready))
        watch = _Watch(running, log)
        while True:
            try:
                request = conn.recv()
            except (EOFError, OSError):
                break
            if request == ("stop",):
                break
            try:
                conn.send(("ok", watch.answer(request)))
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
    """A target running in its own process, and the app's Slack stand-in in another."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._slack = SlackProcess(TEAM_ID) if spec.kind == "app" else None
        context = multiprocessing.get_context("spawn")
        self._conn, theirs = context.Pipe()
        slack_conn = self._slack.for_server if self._slack is not None else None
        self._process = context.Process(target=serve, args=(spec, theirs, slack_conn), daemon=True)
        self._process.start()
        theirs.close()
        if slack_conn is not None:
            slack_conn.close()
        self._ready: Ready | None = None
        self._stopped = False

    def report(self) -> dict[str, Any]:
        """The server's report; for the app, with the stand-in's beside it.

        `cpu` is the server process's alone; `slack_cpu` the stand-in's, `ratelimited` the
        calls it refused, `responses` its response_url posts by text.
        """
        report = self.ask("report")
        if self._slack is None:
            return report
        slack = self._slack.handle.report()
        return {
            **report,
            "slack_cpu": slack["cpu"],
            "slack_calls": slack["calls"],
            "ratelimited": slack["ratelimited"],
            "responses": slack["responses"],
        }

    def told(self, text: str) -> set[int]:
        """The burst's clicks (by key) whose response_url the app sent `text`."""
        assert self._slack is not None, "the bare Bolt has no stand-in"
        return self._slack.handle.told(text)

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
        """Stop the process (killed if it does not end within 20 s), then the stand-in's;
        again: nothing."""
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
        if self._slack is not None:  # after the app: it may post to the stand-in until it ends
            self._slack.stop()


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
