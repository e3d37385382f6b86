"""A team on a real database, a Slack stand-in, and a Caller that records its waits."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from freezegun import freeze_time
from slack_sdk import WebClient

from bot.context import AppContext
from bot.outbound import Caller
from bot.sandbox import FakeSlack
from bot.sandbox.running import SANDBOX_SECRET_KEY
from bot.scheduling.tick import tick
from bot.services import teams
from bot.services.pulse import TickReport
from bot.storage.db import Database
from bot.storage.models import Role

FAST = {
    "default": 10_000.0,
    "chat.postMessage": 10_000.0,
    "users.info": 10_000.0,
    "conversations.open": 10_000.0,
    "conversations.history": 10_000.0,
}


@dataclass
class Env:
    """Everything a pulse test needs."""

    db: Database
    slack: FakeSlack
    sleeps: list[float] = field(default_factory=list)
    timeout: float = 10.0
    virtual_seconds: float = 0.0
    app: AppContext | None = None  # a running app whose clock follows the ticks

    def _sleep(self, seconds: float) -> None:
        # Waits are recorded and pass in virtual time, so a 429 storm costs no real seconds.
        self.sleeps.append(seconds)
        self.virtual_seconds += seconds

    def _clock(self) -> float:
        return self.virtual_seconds

    def caller(self) -> Caller:
        """A Caller on the stand-in whose waits are recorded, not slept."""
        client = WebClient(
            token="xoxb-test", base_url=self.slack.api_url, timeout=self.timeout, retry_handlers=[]
        )
        return Caller(client, rates=FAST, sleep=self._sleep, clock=self._clock, backoff=0.5)

    def team(
        self,
        people: list[tuple[str, str, Role]],
        *,
        created: str = "2026-01-01",
        **settings: object,
    ) -> int:
        """A team whose people exist in the stand-in with their time zones."""
        settings.setdefault("timezone", "America/New_York")
        with freeze_time(created):  # planning never looks before a team existed
            ref = teams.create_team(
                db=self.db,
                slack_team_id=self.slack.team_id,
                name=f"Team {len(self.slack.users)}",
                **settings,
            )
        for user_id, tz, role in people:
            if user_id not in self.slack.users:
                self.slack.add_user(user_id, tz=tz)
            teams.add_member(db=self.db, team_id=ref.id, slack_user_id=user_id, role=role)
        return ref.id

    def tick(self, when: datetime) -> TickReport:
        """One scheduler tick at `when` (UTC); a running app's clicks happen then too."""
        if self.app is not None:
            self.app.clock = lambda: when
        return tick(db=self.db, caller=self.caller(), now=when, clock=lambda: when)

    def dms(self) -> dict[str, int]:
        """How many pulse DMs each person got (reminders and owner notes not counted)."""
        counts: dict[str, int] = {}
        for user_id in self.slack.users:
            for message in self.slack.messages_in(self.slack.dm_channel(user_id)):
                if (message.get("metadata") or {}).get("event_type") == "atlas_pulse":
                    counts[user_id] = counts.get(user_id, 0) + 1
        return counts


def utc(*parts: int) -> datetime:
    """A UTC datetime."""
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def env(database_url: str, slack: FakeSlack) -> Iterator[Env]:
    db = Database.from_url(database_url, secret_key=SANDBOX_SECRET_KEY)
    yield Env(db=db, slack=slack)
    db.dispose()
