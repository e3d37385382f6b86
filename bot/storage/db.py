"""Engine, sessions and the unit of work that owns every commit.

Work done for a person waiting on Slack runs under a time budget (`budget()`): its database
waits are cut short to what is left of the budget, and a unit of work that runs out of time
rolls back and raises `BudgetExceeded`. So a request either saves in time or saves nothing, and
never applies later what its reply said had failed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from bot.storage.sealing import Sealer

# A unit of work that starts with less of its budget left than this is refused at once: under
# load it would most likely run out before its commit and roll back, work wasted for nothing.
MIN_WORK_SECONDS = 0.2
# How long a unit of work with no budget waits for SQLite's write lock.
SQLITE_BUSY_MS = 30_000
# PostgreSQL error codes of a lock wait or a statement cut short by our timeouts.
_TIMEOUT_SQLSTATES = frozenset({"55P03", "57014"})


class BudgetExceeded(Exception):
    """The request's time ran out before its work was saved; nothing of it was saved."""


@dataclass
class Budget:
    """A deadline for the database work a request does before its reply.

    `open` turns False once the reply has gone out: work after it has no deadline.
    """

    deadline: float  # time.monotonic()
    open: bool = True

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.deadline - time.monotonic())


_current: ContextVar[Budget | None] = ContextVar("atlas_request_budget", default=None)


@contextmanager
def budget(deadline: float) -> Iterator[Budget]:
    """Hold the database work of this thread (until the budget is closed) to `deadline`."""
    current = Budget(deadline)
    token = _current.set(current)
    try:
        yield current
    finally:
        _current.reset(token)


def current_budget() -> Budget | None:
    """The open budget of the work running in this thread, if any."""
    found = _current.get()
    return found if found is not None and found.open else None


def make_engine(database_url: str, *, echo: bool = False) -> Engine:
    """Build an engine for SQLite or PostgreSQL with the settings each one needs."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _sqlite_pragmas(dbapi_connection, record) -> None:
    # WAL lets the web process read while the scheduler writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cursor.close()
    record.info["busy_timeout"] = SQLITE_BUSY_MS


class Database:
    """The engine plus a session factory; `unit_of_work()` is how services touch storage."""

    def __init__(self, engine: Engine, *, secret_key: str | None = None) -> None:
        self.engine = engine
        # Seals confidential answers until their round closes; None without ATLAS_SECRET_KEY.
        self.sealer = Sealer(secret_key) if secret_key else None
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)
        self._sqlite = engine.dialect.name == "sqlite"
        event.listen(self._sessions, "after_begin", self._limit_waits)

    @classmethod
    def from_url(cls, database_url: str, *, secret_key: str | None = None) -> Database:
        """Open the database at `database_url`, sealing confidential answers with `secret_key`."""
        return cls(make_engine(database_url), secret_key=secret_key)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One short transaction: commit on success, roll back on any error.

        Under an open `budget()`, a unit of work that would finish late saves nothing and
        raises `BudgetExceeded`.
        """
        limit = current_budget()
        if limit is not None and limit.remaining() < MIN_WORK_SECONDS:
            raise BudgetExceeded  # too little left to finish: refuse now, not after the work
        session = self._sessions()
        session.info["budget"] = limit
        session.info["sealer"] = self.sealer
        try:
            yield session
            if limit is not None and limit.remaining() <= 0:
                raise BudgetExceeded
            session.commit()
        except OperationalError as exc:
            session.rollback()
            if limit is not None and _timed_out(exc):
                raise BudgetExceeded from exc
            raise
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def _limit_waits(
        self, session: Session, _transaction: SessionTransaction, connection: Connection
    ) -> None:
        """Cut the transaction's lock and statement waits to what the budget has left."""
        limit: Budget | None = session.info.get("budget")
        if self._sqlite:
            wait = SQLITE_BUSY_MS if limit is None else _ms(limit)
            if connection.info.get("busy_timeout") != wait:  # a connection keeps its setting
                connection.exec_driver_sql(f"PRAGMA busy_timeout={wait}")
                connection.info["busy_timeout"] = wait
        elif limit is not None:
            wait = f"{_ms(limit)}ms"
            # Both for this transaction only (is_local), in one round trip.
            connection.exec_driver_sql(
                "SELECT set_config('lock_timeout', %(wait)s, true),"
                " set_config('statement_timeout', %(wait)s, true)",
                {"wait": wait},
            )

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _ms(limit: Budget) -> int:
    return max(1, int(limit.remaining() * 1000))


def _timed_out(exc: OperationalError) -> bool:
    original: Any = exc.orig
    if getattr(original, "sqlstate", None) in _TIMEOUT_SQLSTATES:
        return True
    return "database is locked" in str(original)
