"""Events that move people in and out of teams that follow a channel or a user group."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt import App

from bot.context import AppContext
from bot.listeners.guard import guarded
from bot.services import membership
from bot.storage import teams as team_repo
from bot.storage.models import TeamSource

log = logging.getLogger(__name__)


def register(app: App, ctx: AppContext) -> None:
    """Attach the membership events. Slack may deliver an event twice; each counts once."""

    def on_joined(body: dict[str, Any], event: dict[str, Any]) -> None:
        if not _first(ctx, body):
            return
        slack_team = _team(body, event)
        channel, user = event.get("channel", ""), event.get("user", "")
        if user and user == ctx.workspaces.get(slack_team).bot_user_id:
            _resync(ctx, slack_team, channel)  # invited to a private channel: read it now
            return
        membership.joined(
            db=ctx.db,
            slack_team_id=slack_team,
            kind=TeamSource.CHANNEL,
            source_id=channel,
            users=[user],
            now=ctx.clock(),
        )

    def on_left(body: dict[str, Any], event: dict[str, Any]) -> None:
        if not _first(ctx, body):
            return
        membership.left(
            db=ctx.db,
            slack_team_id=_team(body, event),
            kind=TeamSource.CHANNEL,
            source_id=event.get("channel", ""),
            users=[event.get("user", "")],
            now=ctx.clock(),
        )

    def on_subteam(body: dict[str, Any], event: dict[str, Any]) -> None:
        if not _first(ctx, body):
            return
        slack_team, group = _team(body, event), event.get("subteam_id", "")
        now = ctx.clock()
        added = [u for u in event.get("added_users") or [] if isinstance(u, str)]
        removed = [u for u in event.get("removed_users") or [] if isinstance(u, str)]
        kind = TeamSource.USERGROUP
        if added:
            membership.joined(
                db=ctx.db,
                slack_team_id=slack_team,
                kind=kind,
                source_id=group,
                users=added,
                now=now,
            )
        if removed:
            membership.left(
                db=ctx.db,
                slack_team_id=slack_team,
                kind=kind,
                source_id=group,
                users=removed,
                now=now,
            )

    app.event("member_joined_channel")(guarded(on_joined))
    app.event("member_left_channel")(guarded(on_left))
    app.event("subteam_members_changed")(guarded(on_subteam))


def _first(ctx: AppContext, body: dict[str, Any]) -> bool:
    # Wall-clock time, not the app's clock: Slack retries within minutes of real time.
    return membership.first_time(db=ctx.db, event_id=body.get("event_id"), now=datetime.now(UTC))


def _team(body: dict[str, Any], event: dict[str, Any]) -> str:
    return body.get("team_id") or event.get("team") or event.get("team_id") or ""


def _resync(ctx: AppContext, slack_team: str, channel: str) -> None:
    with ctx.db.unit_of_work() as session:
        team_ids = [
            t.id
            for t in team_repo.teams_with_source(
                session=session,
                slack_team_id=slack_team,
                kind=TeamSource.CHANNEL,
                source_id=channel,
            )
        ]
    for team_id in team_ids:
        membership.sync(db=ctx.db, team_id=team_id, caller=ctx.caller, now=ctx.clock())
