"""The App Home tab: publishing it when opened, and its buttons (pause, resume, export)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.blocks import home as blocks
from bot.context import AppContext
from bot.ids import ActionId
from bot.listeners.guard import guarded, new_error_id
from bot.outbound import Outcome
from bot.services import export, home, members, owner

log = logging.getLogger(__name__)


def publish(ctx: AppContext, client: WebClient, *, slack_team_id: str, user_id: str) -> None:
    """Build one person's Home tab from the database and publish it."""
    data = home.gather(db=ctx.db, slack_team_id=slack_team_id, user_id=user_id, now=ctx.clock())
    client.views_publish(user_id=user_id, view=blocks.home_view(data))


def register(app: App, ctx: AppContext) -> None:
    """Attach the Home tab's event and buttons."""

    def on_home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        """Show the Home tab, fresh from the database."""
        if event.get("tab") != "home":
            return
        publish(ctx, client, slack_team_id=body.get("team_id") or "", user_id=event["user"])

    def on_pause(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Pause the person's pulse in every team until they resume it."""
        ack()
        team, user = _who(body)
        members.pause(db=ctx.db, slack_team_id=team, user_id=user, until=None)
        publish(ctx, client, slack_team_id=team, user_id=user)

    def on_resume(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Resume the person's pulse."""
        ack()
        team, user = _who(body)
        members.resume(db=ctx.db, slack_team_id=team, user_id=user)
        publish(ctx, client, slack_team_id=team, user_id=user)

    def on_export(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        """Build the team's CSV after the ack and upload it into the clicker's DM."""
        ack()
        team, user = _who(body)
        allowed = dict(owner.owned(db=ctx.db, slack_team_id=team, user_id=user))
        value = str(action.get("value", ""))
        team_id = int(value) if value.isdigit() else None
        if team_id not in allowed:
            client.chat_postMessage(channel=user, text=blocks.EXPORT_REFUSED)
            return
        result = export.send(
            db=ctx.db,
            caller=ctx.caller,
            team_id=team_id,
            team_name=allowed[team_id],
            user_id=user,
            now=ctx.clock(),
        )
        if result.outcome is not Outcome.OK:
            error_id = new_error_id()
            log.warning("the CSV export did not upload (error id %s): %s", error_id, result.error)
            client.chat_postMessage(channel=user, text=blocks.export_failed(error_id))

    app.event("app_home_opened")(guarded(on_home_opened))
    app.action(ActionId.HOME_PAUSE)(guarded(on_pause))
    app.action(ActionId.HOME_RESUME)(guarded(on_resume))
    app.action(ActionId.HOME_EXPORT)(guarded(on_export))


def _who(body: dict[str, Any]) -> tuple[str, str]:
    """(Slack team id, user id) of a click."""
    user = body.get("user") or {}
    return (body.get("team") or {}).get("id") or user.get("team_id", ""), user.get("id", "")
