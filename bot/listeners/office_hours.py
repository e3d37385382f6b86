"""Clicks on the office hours posts: "I'll be there", "Can't make it after all", "I'm here"."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond

from bot.blocks import office_hours as blocks
from bot.context import AppContext
from bot.ids import ActionId
from bot.listeners.guard import guarded
from bot.payloads import decode_id
from bot.services import office_hours


def register(app: App) -> None:
    """Attach the office hours buttons."""
    for action_id in (
        ActionId.OFFICE_HOURS_RSVP,
        ActionId.OFFICE_HOURS_CANCEL,
        ActionId.OFFICE_HOURS_HERE,
    ):
        app.action(action_id)(guarded(on_click))


def on_click(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, ctx: AppContext
) -> None:
    """Record the click, ack, answer the clicker privately, then update the channel's counts."""
    kind = action.get("action_id")
    now = ctx.clock()
    ids = {
        "db": ctx.db,
        "session_id": _session_id(action),
        "slack_team_id": (body.get("team") or {}).get("id", ""),
        "user_id": (body.get("user") or {}).get("id", ""),
        "now": now,
    }
    if kind == ActionId.OFFICE_HOURS_HERE:
        result = office_hours.attend(**ids)
    else:
        result = office_hours.rsvp(**ids, going=kind == ActionId.OFFICE_HOURS_RSVP)
    ack()
    if result.refusal is not None or result.view is None:
        reply = blocks.refusal(result.refusal or office_hours.Refusal.UNKNOWN, result.view)
        respond(text=reply.text, response_type="ephemeral", replace_original=False)
        return
    if kind == ActionId.OFFICE_HOURS_HERE:
        reply = blocks.here_recorded(result.view)
    elif kind == ActionId.OFFICE_HOURS_RSVP:
        reply = blocks.rsvp_confirmed(result.view)
    else:
        reply = blocks.rsvp_cancelled(result.view)
    # "Can't make it" is clicked on the ephemeral confirmation: it replaces that one.
    respond(
        text=reply.text,
        blocks=reply.blocks,
        response_type="ephemeral",
        replace_original=kind == ActionId.OFFICE_HOURS_CANCEL,
    )
    # The channel post's counts: chat.update is paced, so not on a listener thread. Clicks
    # on one session that arrive before the update starts are counted by one update.
    ctx.background.submit(
        office_hours.refresh,
        db=ctx.db,
        caller=ctx.caller,
        session_id=result.view.session_id,
        now=now,
        attendance=kind == ActionId.OFFICE_HOURS_HERE,
        key=("office_hours", result.view.session_id, kind == ActionId.OFFICE_HOURS_HERE),
    )


def _session_id(action: dict[str, Any]) -> int:
    return decode_id(action.get("value")) or -1
