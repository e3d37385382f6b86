"""What listeners and services share for the life of the app."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.workspaces import WorkspaceCache
from bot.settings import Settings
from bot.storage.db import Database


@dataclass(frozen=True)
class AppContext:
    """Settings, the database and the per-process workspace cache."""

    settings: Settings
    db: Database
    workspaces: WorkspaceCache

    @classmethod
    def create(cls, settings: Settings, db: Database | None = None) -> AppContext:
        """Open the database named by the settings (unless given one) and an empty cache."""
        db = db or Database.from_url(settings.database_url)
        return cls(settings=settings, db=db, workspaces=WorkspaceCache(db))
