"""Clicks on the owner's weekly check-in: "on track?" and "shipped?"."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond

from bot.blocks import check_ins as blocks
from bot.context import AppContext
from bot.ids import ActionId
from bot.listeners.guard import guarded
from bot.payloads import decode_id
from bot.services import check_ins

QUESTIONS = {ActionId.CHECK_IN_ON_TRACK: "on_track", ActionId.CHECK_IN_SHIPPED: "shipped"}
PATTERN = re.compile(
    rf"^({re.escape(ActionId.CHECK_IN_ON_TRACK)}|{re.escape(ActionId.CHECK_IN_SHIPPED)})\.(\w+)$"
)


def register(app: App) -> None:
    """Attach the check-in buttons."""
    app.action(PATTERN)(guarded(on_answer))


def on_answer(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, ctx: AppContext
) -> None:
    """Store the answer, ack, then show the check-in with what was recorded."""
    matched = PATTERN.match(action.get("action_id", ""))
    result = check_ins.answer(
        db=ctx.db,
        check_in_id=decode_id(action.get("value")) or -1,
        slack_team_id=(body.get("team") or {}).get("id", ""),
        user_id=(body.get("user") or {}).get("id", ""),
        question=QUESTIONS[ActionId(matched.group(1))] if matched else "",
        value=matched.group(2) if matched else "",
        now=ctx.clock(),
    )
    ack()
    if result.view is None:
        respond(
            text=blocks.refusal(result.refusal or "unknown", result.week_of),
            response_type="ephemeral",
            replace_original=False,
        )
        return
    message = blocks.check_in(result.view)
    respond(text=message.text, blocks=message.blocks, replace_original=True)
