"""What listeners and services share for the life of the app."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from bot.background import Background, interruptible_sleep
from bot.outbound import Caller
from bot.services.workspaces import WorkspaceCache
from bot.settings import Settings
from bot.storage.db import Database

if TYPE_CHECKING:
    from bot.services.diagnosis import Followup

# Keys on Bolt's per-request context: the AppContext, and when the request arrived
# (time.monotonic()), from which its time budget counts.
CONTEXT_KEY = "atlas"
RECEIVED_KEY = "atlas_received_at"
# Of Slack's 3 seconds, what our own work before the ack may use; the rest is the network.
ACK_BUDGET_SECONDS = 2.0

# Hand-offs mostly wait on Slack's pacing, not on the CPU: a few threads are plenty.
BACKGROUND_THREADS = 4


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class AppContext:
    """Settings, the database, the per-process workspace cache, and the clock.

    Listeners read the time from `clock` so that a simulation (the demo, the tests) can run
    the app in its own time.
    """

    settings: Settings
    db: Database
    workspaces: WorkspaceCache
    clock: Callable[[], datetime] = field(default=_utcnow)
    # Set when the process stops: paced waits on Slack end at once (`close()`).
    stopping: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def create(cls, settings: Settings, db: Database | None = None) -> AppContext:
        """Open the database named by the settings (unless given one) and an empty cache."""
        db = db or Database.from_url(settings.database_url, secret_key=settings.secret_key)
        return cls(settings=settings, db=db, workspaces=WorkspaceCache(db))

    @cached_property
    def background(self) -> Background:
        """Threads for work handed off by listeners (see `bot.background`)."""
        return Background(workers=BACKGROUND_THREADS)

    @cached_property
    def caller(self) -> Caller:
        """The paced Web API caller for work handed off by listeners (one per app).

        A simulation may assign its own (`ctx.caller = …`), e.g. one whose waits pass in its
        virtual time, as the demo does.
        """
        from bot.app import make_web_client  # bot.app builds on this module

        token = self.settings.slack_bot_token
        assert token is not None
        return Caller(
            make_web_client(self.settings, token.get_secret_value(), retries=False),
            sleep=interruptible_sleep(self.stopping),
        )

    @property
    def followup(self) -> Followup:
        """What services set going after a change that feeds the diagnosis (its rerun), run
        by the hand-off threads with the paced caller."""
        from bot.services.diagnosis import Followup

        return Followup(db=self.db, caller=self.caller, later=self.background.submit)

    def close(self) -> None:
        """Stop: hand-offs still waiting on Slack give up, the rest are dropped, and the
        database's connections close. Work not done is redone by its next trigger (the next
        Home tab visit, the scheduler's next diagnosis)."""
        self.stopping.set()
        if "background" in self.__dict__:
            self.background.shutdown(drain=False)
        self.db.dispose()
