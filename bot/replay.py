"""Refusing replays: a signed request taken in once does nothing the second time.

Slack's signature covers the timestamp and the body, and a signed request passes the check for
five minutes either side of its timestamp. Anyone who captured one (a proxy log, a leaked
trace) could send it again inside that window and re-apply stale state: an answer changed back,
a workflow removed again after its undo. So each signature is recorded in the database, with the
time its window closes, before the request is dispatched; a unique insert decides which copy
is first, across every process that serves the app. A copy that comes later is answered 200
with nothing done (Slack would not retry it), or, for a slash command, with a short note.

A request whose dispatch failed (a 5xx, nothing done) is forgotten again, so that Slack's own
redelivery of the same bytes is served. Events that Slack redelivers with a new signature are
still done once: they are deduplicated on their `event_id` (`bot/services/membership.py`).

When the database cannot record the signature in time, the request is served anyway: whatever
it would do needs the same database, and refusing every request on a slow database would turn
a slowdown into an outage.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt import BoltResponse
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from bot.storage.db import Database
from bot.storage.models import SeenRequest

log = logging.getLogger(__name__)

# slack_sdk's SignatureVerifier accepts a timestamp up to this far from its own clock.
SIGNATURE_WINDOW = timedelta(seconds=300)
# Kept a little longer than the window, for clocks that differ between processes.
CLOCK_MARGIN = timedelta(seconds=60)
# Expired rows are deleted by the first request after this many seconds, in each process.
PURGE_EVERY_SECONDS = 60.0

REPLAY_NOTE = "This request was already received, so nothing more was done."


@dataclass
class Ticket:
    """A request's claim on its signature. `replayed` says another copy came first."""

    replayed: bool
    _guard: ReplayGuard | None = field(default=None, repr=False)
    _key: str | None = field(default=None, repr=False)

    def settle(self, status: int) -> None:
        """After the dispatch: a request that failed (5xx) is forgotten, so a redelivery of
        the same bytes is served."""
        if status >= 500:
            self.release()

    def release(self) -> None:
        """Forget this request's signature (its dispatch did nothing)."""
        if self._guard is not None and self._key is not None and not self.replayed:
            self._guard.forget(self._key)
            self._key = None


class ReplayGuard:
    """Records the signatures of requests taken in; shared by every process through the
    database."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._next_purge = 0.0

    def admit(self, headers: dict[str, str], *, now: float | None = None) -> Ticket:
        """Claim a verified request's signature (headers as lower-case names)."""
        signature = headers.get("x-slack-signature", "")
        timestamp = headers.get("x-slack-request-timestamp", "")
        if not signature or not timestamp.isdigit():
            return Ticket(replayed=False)  # not a signed request: nothing to remember
        now = time.time() if now is None else now
        sent = datetime.fromtimestamp(int(timestamp), UTC)
        expires_at = max(sent, datetime.fromtimestamp(now, UTC)) + SIGNATURE_WINDOW + CLOCK_MARGIN
        key = signature[:128]
        purge = self._purge_due()
        try:
            with self._db.unit_of_work() as session:
                if purge:
                    session.execute(
                        delete(SeenRequest).where(
                            SeenRequest.expires_at < datetime.fromtimestamp(now, UTC)
                        )
                    )
                session.add(SeenRequest(key=key, expires_at=expires_at))
        except IntegrityError:
            if purge:
                self._purge_again()  # the purge went with the refused insert
            log.warning("a replayed request was ignored (signed at %s)", timestamp)
            return Ticket(replayed=True)
        except Exception:  # a slow or unreachable database: serve (see the module's notes)
            if purge:
                self._purge_again()
            log.warning("could not record a request's signature; serving it", exc_info=True)
            return Ticket(replayed=False)
        return Ticket(replayed=False, _guard=self, _key=key)

    def forget(self, key: str) -> None:
        """Drop a recorded signature."""
        try:
            with self._db.unit_of_work() as session:
                session.execute(delete(SeenRequest).where(SeenRequest.key == key))
        except Exception:
            log.warning("could not forget a failed request's signature", exc_info=True)

    def _purge_due(self) -> bool:
        clock = time.monotonic()
        with self._lock:
            if clock < self._next_purge:
                return False
            self._next_purge = clock + PURGE_EVERY_SECONDS
            return True

    def _purge_again(self) -> None:
        with self._lock:
            self._next_purge = 0.0


def ignored(body: Any) -> BoltResponse:
    """The answer to a replay: a note for a slash command, an empty 200 for anything else."""
    if isinstance(body, dict) and body.get("command"):
        return BoltResponse(
            status=200,
            body={"response_type": "ephemeral", "text": REPLAY_NOTE},
        )
    return BoltResponse(status=200, body="")
