"""The real app, in HTTP mode, in this process, talking to a `FakeSlack`."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App

from bot.app import create_app, identify, make_web_client
from bot.context import AppContext
from bot.listeners.pool import ListenerPool
from bot.outbound import Caller
from bot.polling import poll_until
from bot.sandbox.signer import SignedSender, wsgi_transport
from bot.sandbox.web_api import FakeSlack
from bot.settings import Settings, load_settings
from bot.storage import migrations
from bot.web import HttpServer, SlackWsgi

SANDBOX_BOT_TOKEN = "xoxb-sandbox-token"
SANDBOX_SIGNING_SECRET = "sandbox-signing-secret"
# Seals confidential answers in the sandbox and the demo; a real install makes its own.
SANDBOX_SECRET_KEY = "gt2O4zF4P1AieirkNJB0FtnvYyLpJ7yV6fQJuas1h3s="


class VirtualWaits:
    """A clock that moves only when something waits on it; safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._now = 0.0

    def sleep(self, seconds: float) -> None:
        """Let `seconds` pass at once.

        Never less than a microsecond: a pacer short of a token by a rounding error asks for a
        wait too small to move a float clock, and a real clock always moves.
        """
        with self._lock:
            self._now += max(1e-6, seconds)

    def clock(self) -> float:
        """Seconds waited so far."""
        with self._lock:
            return self._now


@dataclass
class RunningApp:
    """The app with a sender signed for it: served by waitress on a free local port, or with
    `http=False` reached through its WSGI entry point in this process (same signature checks,
    same Bolt dispatch, no socket)."""

    slack: FakeSlack
    database_url: str
    overrides: dict[str, Any] = field(default_factory=dict)
    migrate: bool = True
    http: bool = True
    # Pacing waits of the listeners' Web API caller pass in virtual time: what is sent and in
    # which order stays the same, a chat.update spaced 1.2 s apart costs no real second.
    virtual_waits: bool = False

    def __post_init__(self) -> None:
        self.settings: Settings = load_settings(
            _env_file=None,
            slack_bot_token=SANDBOX_BOT_TOKEN,
            slack_signing_secret=SANDBOX_SIGNING_SECRET,
            slack_app_token="",
            slack_api_url=self.slack.api_url,
            database_url=self.database_url,
            **{"atlas_secret_key": SANDBOX_SECRET_KEY, **self.overrides},
        )
        self.ctx = AppContext.create(self.settings)
        self.db = self.ctx.db
        self.app: App | None = None
        self.wsgi: SlackWsgi | None = None
        self.server: HttpServer | None = None

    def start(self) -> RunningApp:
        """Migrate, build the app, learn who we are from the sandbox, and serve."""
        if self.migrate:
            migrations.upgrade(self.db.engine)
        self.app = create_app(self.settings, ctx=self.ctx)
        if self.virtual_waits:
            waits = VirtualWaits()
            self.ctx.caller = Caller(
                make_web_client(self.settings, SANDBOX_BOT_TOKEN, retries=False),
                sleep=waits.sleep,
                clock=waits.clock,
            )
        identify(self.ctx)
        self.wsgi = SlackWsgi(self.app, signing_secret=SANDBOX_SIGNING_SECRET, db=self.db)
        if self.http:
            self.server = HttpServer(
                self.wsgi, host="127.0.0.1", port=0, threads=self.settings.http_threads
            ).start()
        return self

    def stop(self) -> None:
        """Stop serving and close database connections."""
        if self.server is not None:
            self.server.stop()
        if self.app is not None:
            self.pool.shutdown(wait=True)  # work after an ack finishes before the database closes
        self.ctx.close()

    @property
    def pool(self) -> ListenerPool:
        """The threads the app's listeners run on."""
        assert self.app is not None, "start() first"
        pool = self.app.listener_runner.listener_executor
        assert isinstance(pool, ListenerPool)
        return pool

    def settle(self, seconds: float = 10.0) -> None:
        """Wait until the app has finished the work its listeners went on with after the ack,
        and the work they handed off."""
        idle = poll_until(
            lambda: not self.pool.in_flight and not self.ctx.background.in_flight,
            seconds,
            interval=0.002,
        )
        assert idle, f"listeners still busy after {seconds} s"

    def __enter__(self) -> RunningApp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The app's base URL."""
        assert self.server is not None, "start() with http=True first"
        return self.server.url

    def sender(self) -> SignedSender:
        """A signer that posts to this app as the sandbox's Slack would."""
        assert self.wsgi is not None, "start() first"
        return SignedSender(
            self.url if self.http else "http://in-process",
            SANDBOX_SIGNING_SECRET,
            team_id=self.slack.team_id,
            response_url_base=self.slack.base_url + "/response",
            transport=None if self.http else wsgi_transport(self.wsgi),
        )
