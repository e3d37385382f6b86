"""The App Home tab: publishing it when opened, and its buttons (pause, resume, export)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.blocks import home as blocks
from bot.context import AppContext
from bot.errors import new_error_id
from bot.ids import ActionId
from bot.listeners.guard import guarded
from bot.outbound import Outcome
from bot.payloads import decode_id
from bot.services import export, home, members

log = logging.getLogger(__name__)


def register(app: App) -> None:
    """Attach the Home tab's event and buttons."""
    app.event("app_home_opened")(guarded(on_home_opened))
    app.action(ActionId.HOME_PAUSE)(guarded(on_pause))
    app.action(ActionId.HOME_RESUME)(guarded(on_resume))
    app.action(ActionId.HOME_EXPORT)(guarded(on_export))


def refresh(ctx: AppContext, *, slack_team_id: str, user_id: str) -> None:
    """Publish one person's Home tab soon, off the listener threads (views.publish is paced)."""
    ctx.background.submit(
        publish, ctx, slack_team_id=slack_team_id, user_id=user_id, key=("home", user_id)
    )


def publish(ctx: AppContext, *, slack_team_id: str, user_id: str) -> None:
    """Build one person's Home tab from the database and publish it."""
    data = home.gather(db=ctx.db, slack_team_id=slack_team_id, user_id=user_id, now=ctx.clock())
    result = ctx.caller.call("views.publish", user_id=user_id, view=blocks.home_view(data))
    if result.outcome is not Outcome.OK:
        log.warning("could not publish %s's Home tab: %s", user_id, result.error)


def on_home_opened(event: dict[str, Any], body: dict[str, Any], ctx: AppContext) -> None:
    """Show the Home tab, fresh from the database."""
    if event.get("tab") != "home" or not isinstance(event.get("user"), str):
        return
    refresh(ctx, slack_team_id=body.get("team_id") or "", user_id=event["user"])


def on_pause(ack: Ack, body: dict[str, Any], ctx: AppContext) -> None:
    """Pause the person's pulse in every team until they resume it."""
    team, user = _who(body)
    members.pause(db=ctx.db, slack_team_id=team, user_id=user, until=None)
    ack()
    refresh(ctx, slack_team_id=team, user_id=user)


def on_resume(ack: Ack, body: dict[str, Any], ctx: AppContext) -> None:
    """Resume the person's pulse."""
    team, user = _who(body)
    members.resume(db=ctx.db, slack_team_id=team, user_id=user)
    ack()
    refresh(ctx, slack_team_id=team, user_id=user)


def on_export(ack: Ack, body: dict[str, Any], action: dict[str, Any], ctx: AppContext) -> None:
    """Build the team's CSV in the background and upload it into the clicker's DM."""
    ack()
    team, user = _who(body)
    ctx.background.submit(
        _export, ctx, team=team, user=user, team_id=decode_id(action.get("value"))
    )


def _export(ctx: AppContext, *, team: str, user: str, team_id: int | None) -> None:
    try:
        result = export.send_owned(
            db=ctx.db,
            caller=ctx.caller,
            slack_team_id=team,
            user_id=user,
            team_id=team_id,
            now=ctx.clock(),
        )
    except export.NotOwner:
        ctx.caller.call("chat.postMessage", channel=user, text=blocks.EXPORT_REFUSED)
        return
    if result.outcome is not Outcome.OK:
        error_id = new_error_id()
        log.warning("the CSV export did not upload (error id %s): %s", error_id, result.error)
        ctx.caller.call("chat.postMessage", channel=user, text=blocks.export_failed(error_id))


def _who(body: dict[str, Any]) -> tuple[str, str]:
    """(Slack team id, user id) of a click."""
    user = body.get("user") or {}
    return (body.get("team") or {}).get("id") or user.get("team_id", ""), user.get("id", "")
