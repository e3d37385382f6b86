"""Clicks in the pulse DM and in `/atlas me`."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.blocks import member
from bot.blocks import pulse as pulse_blocks
from bot.blocks.pulse import AnswerRef
from bot.context import AppContext
from bot.ids import ActionId
from bot.listeners import home
from bot.listeners.guard import guarded
from bot.services import members, pulse_answers


def register(app: App, ctx: AppContext) -> None:
    """Attach the pulse and `/atlas me` actions."""

    def on_answer(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        """Save the click at once, then show the pulse with the choice marked."""
        ack()
        ref = AnswerRef.decode(action.get("block_id", ""))
        if ref is None:
            respond(
                text=member.refusal(pulse_answers.Refusal.UNKNOWN),
                response_type="ephemeral",
                replace_original=False,
            )
            return
        result = pulse_answers.record(
            db=ctx.db,
            slack_team_id=(body.get("team") or {}).get("id", ""),
            user_id=(body.get("user") or {}).get("id", ""),
            delivery_id=ref.delivery_id,
            question_id=ref.question_id,
            values=_values(action),
            now=ctx.clock(),
        )
        if result.refusal is not None:
            respond(
                text=member.refusal(result.refusal),
                response_type="ephemeral",
                replace_original=False,
            )
            return
        message = pulse_blocks.pulse_message(result.view)
        respond(text=message.text, blocks=message.blocks, replace_original=True)

    def on_delete(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        """The confirmed "Delete my answers" button in `/atlas me` or on the Home tab."""
        ack()
        slack_team_id = (body.get("team") or {}).get("id", "")
        user_id = (body.get("user") or {}).get("id", "")
        count = members.delete_my_answers(db=ctx.db, slack_team_id=slack_team_id, user_id=user_id)
        if (body.get("container") or {}).get("type") == "view":
            # Clicked on the Home tab: there is no message to replace, the tab itself changes.
            home.publish(ctx, client, slack_team_id=slack_team_id, user_id=user_id)
            return
        reply = member.deleted(count)
        respond(
            text=reply.text, blocks=reply.blocks, replace_original=True, response_type="ephemeral"
        )

    app.action(re.compile(rf"^{re.escape(ActionId.PULSE_ANSWER)}\."))(guarded(on_answer))
    app.action(ActionId.DELETE_MY_ANSWERS)(guarded(on_delete))


def _values(action: dict[str, Any]) -> list[str]:
    """The chosen value(s) of a button, a multi-select or a user select."""
    kind = action.get("type")
    if kind == "button":
        return [str(action.get("value", ""))]
    if kind == "multi_static_select":
        return [str(o.get("value", "")) for o in action.get("selected_options") or []]
    if kind == "users_select":
        return [action["selected_user"]] if action.get("selected_user") else []
    return []
