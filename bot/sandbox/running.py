"""The real app, in HTTP mode, in this process, talking to a `FakeSlack`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App

from bot.app import create_app, identify
from bot.context import AppContext
from bot.sandbox.signer import SignedSender
from bot.sandbox.web_api import FakeSlack
from bot.settings import Settings, load_settings
from bot.storage import migrations
from bot.web import HttpServer, SlackWsgi

SANDBOX_BOT_TOKEN = "xoxb-sandbox-token"
SANDBOX_SIGNING_SECRET = "sandbox-signing-secret"


@dataclass
class RunningApp:
    """The app served by waitress on a free local port, with a sender signed for it."""

    slack: FakeSlack
    database_url: str
    overrides: dict[str, Any] = field(default_factory=dict)
    migrate: bool = True

    def __post_init__(self) -> None:
        self.settings: Settings = load_settings(
            _env_file=None,
            slack_bot_token=SANDBOX_BOT_TOKEN,
            slack_signing_secret=SANDBOX_SIGNING_SECRET,
            slack_app_token="",
            slack_api_url=self.slack.api_url,
            database_url=self.database_url,
            **self.overrides,
        )
        self.ctx = AppContext.create(self.settings)
        self.db = self.ctx.db
        self.app: App | None = None
        self.server: HttpServer | None = None

    def start(self) -> RunningApp:
        """Migrate, build the app, learn who we are from the sandbox, and serve."""
        if self.migrate:
            migrations.upgrade(self.db.engine)
        self.app = create_app(self.settings, ctx=self.ctx)
        identify(self.ctx)
        wsgi = SlackWsgi(self.app, signing_secret=SANDBOX_SIGNING_SECRET, db=self.db)
        self.server = HttpServer(
            wsgi, host="127.0.0.1", port=0, threads=self.settings.http_threads
        ).start()
        return self

    def stop(self) -> None:
        """Stop serving and close database connections."""
        if self.server is not None:
            self.server.stop()
        self.db.dispose()

    def __enter__(self) -> RunningApp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The app's base URL."""
        assert self.server is not None, "start() first"
        return self.server.url

    def sender(self) -> SignedSender:
        """A signer that posts to this app as the sandbox's Slack would."""
        return SignedSender(
            self.url,
            SANDBOX_SIGNING_SECRET,
            team_id=self.slack.team_id,
            response_url_base=self.slack.base_url + "/response",
        )
