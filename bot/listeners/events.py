"""Events API: uninstalls and revoked tokens (the App Home tab is in `bot.listeners.home`)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.context import AppContext
from bot.listeners.guard import guarded
from bot.services import workspaces

log = logging.getLogger(__name__)


def register(app: App) -> None:
    """Attach the event listeners."""
    app.event("app_uninstalled")(guarded(on_removed))
    app.event("tokens_revoked")(guarded(on_removed))


def on_removed(body: dict[str, Any], ctx: AppContext) -> None:
    """The app was uninstalled or its tokens revoked: stop serving the workspace."""
    team_id = body.get("team_id") or ""
    if workspaces.deactivate(db=ctx.db, slack_team_id=team_id):
        log.info("workspace %s removed the app; marked inactive", team_id)
    ctx.workspaces.forget(team_id)
