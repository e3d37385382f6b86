"""Knowing which workspaces the app serves, and forgetting those that removed it."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from bot.storage import workspaces as repo
from bot.storage.db import Database
from bot.storage.models import Workspace, utcnow


@dataclass(frozen=True)
class WorkspaceInfo:
    """What the app knows of a workspace."""

    id: int
    slack_team_id: str
    active: bool
    bot_user_id: str | None
    bot_id: str | None


def _info(row: Workspace) -> WorkspaceInfo:
    return WorkspaceInfo(row.id, row.slack_team_id, row.active, row.bot_user_id, row.bot_id)


def ensure(
    *,
    db: Database,
    slack_team_id: str,
    name: str | None = None,
    bot_user_id: str | None = None,
    bot_id: str | None = None,
    enterprise_id: str | None = None,
) -> WorkspaceInfo:
    """Get or create the workspace row, filling in what we learned; reactivates a reinstall."""
    for _ in range(2):  # a concurrent first request may insert the same row: retry once
        try:
            with db.unit_of_work() as session:
                row = repo.get_by_slack_id(session=session, slack_team_id=slack_team_id)
                if row is None:
                    row = repo.add(session=session, slack_team_id=slack_team_id)
                for field, value in (
                    ("name", name),
                    ("bot_user_id", bot_user_id),
                    ("bot_id", bot_id),
                    ("enterprise_id", enterprise_id),
                ):
                    if value is not None:
                        setattr(row, field, value)
                if not row.active and bot_user_id is not None:
                    row.active, row.deactivated_at = True, None
                return _info(row)
        except IntegrityError:
            continue
    raise RuntimeError(f"could not record workspace {slack_team_id}")


def find(*, db: Database, slack_team_id: str) -> WorkspaceInfo | None:
    """The recorded workspace, or None: never records one (only installing the app does)."""
    with db.unit_of_work() as session:
        row = repo.get_by_slack_id(session=session, slack_team_id=slack_team_id)
        return _info(row) if row is not None else None


def deactivate(*, db: Database, slack_team_id: str) -> bool:
    """Mark a workspace inactive (app uninstalled, tokens revoked). False if unknown."""
    with db.unit_of_work() as session:
        row = repo.get_by_slack_id(session=session, slack_team_id=slack_team_id)
        if row is None:
            return False
        repo.deactivate(session=session, workspace=row, at=utcnow())
        return True


class WorkspaceCache:
    """Remembers workspaces already recorded, so requests touch the database once per process."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._known: dict[str, WorkspaceInfo] = {}
        self._lock = threading.Lock()

    def find(self, slack_team_id: str) -> WorkspaceInfo | None:
        """The workspace as recorded (at install or by `atlas-bot team create`), or None.

        A request never records a workspace: one that never installed the app is not served.
        Only known workspaces are cached, so one recorded later is seen on its next request.
        """
        with self._lock:
            found = self._known.get(slack_team_id)
        if found is not None:
            return found
        info = find(db=self._db, slack_team_id=slack_team_id)
        if info is not None:
            with self._lock:
                self._known.setdefault(slack_team_id, info)
        return info

    def get(self, slack_team_id: str) -> WorkspaceInfo:
        """The workspace of a request already authorized; KeyError if it was never recorded."""
        info = self.find(slack_team_id)
        if info is None:
            raise KeyError(slack_team_id)
        return info

    def remember(self, info: WorkspaceInfo) -> None:
        """Put fresh knowledge in the cache."""
        with self._lock:
            self._known[info.slack_team_id] = info

    def forget(self, slack_team_id: str) -> None:
        """Drop a workspace so the next request reads it again."""
        with self._lock:
            self._known.pop(slack_team_id, None)
