"""Events that move people in and out of teams that follow a channel or a user group."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt import App

from bot.context import AppContext
from bot.listeners.guard import guarded
from bot.services import membership
from bot.storage.models import TeamSource

log = logging.getLogger(__name__)


def register(app: App) -> None:
    """Attach the membership events. Slack may deliver an event twice; each counts once."""
    app.event("member_joined_channel")(guarded(on_channel))
    app.event("member_left_channel")(guarded(on_channel))
    app.event("subteam_members_changed")(guarded(on_subteam))


def on_channel(body: dict[str, Any], event: dict[str, Any], ctx: AppContext) -> None:
    """Someone joined or left a channel: teams that follow it follow suit."""
    if not _first(ctx, body):
        return
    slack_team = _team(body, event)
    channel, user = event.get("channel", ""), event.get("user", "")
    joined = event.get("type") == "member_joined_channel"
    if joined and user and user == ctx.workspaces.get(slack_team).bot_user_id:
        _resync(ctx, slack_team, channel)  # invited to a private channel: read it now
        return
    _moved(ctx, slack_team, TeamSource.CHANNEL, channel, [user], joined=joined)


def on_subteam(body: dict[str, Any], event: dict[str, Any], ctx: AppContext) -> None:
    """A user group's members changed."""
    if not _first(ctx, body):
        return
    slack_team, group = _team(body, event), event.get("subteam_id", "")
    for key, joined in (("added_users", True), ("removed_users", False)):
        users = [u for u in event.get(key) or [] if isinstance(u, str)]
        if users:
            _moved(ctx, slack_team, TeamSource.USERGROUP, group, users, joined=joined)


def _moved(
    ctx: AppContext,
    slack_team: str,
    kind: TeamSource,
    source_id: str,
    users: list[str],
    *,
    joined: bool,
) -> None:
    membership.moved(
        db=ctx.db,
        slack_team_id=slack_team,
        kind=kind,
        source_id=source_id,
        users=users,
        now=ctx.clock(),
        joined=joined,
    )


def _first(ctx: AppContext, body: dict[str, Any]) -> bool:
    # Wall-clock time, not the app's clock: Slack retries within minutes of real time.
    return membership.first_time(db=ctx.db, event_id=body.get("event_id"), now=datetime.now(UTC))


def _team(body: dict[str, Any], event: dict[str, Any]) -> str:
    return body.get("team_id") or event.get("team") or event.get("team_id") or ""


def _resync(ctx: AppContext, slack_team: str, channel: str) -> None:
    # Reading a channel's members may wait on Slack's rate limits: not on a listener thread.
    ctx.background.submit(
        membership.sync_channel,
        db=ctx.db,
        caller=ctx.caller,
        slack_team_id=slack_team,
        channel=channel,
        now=ctx.clock(),
    )
