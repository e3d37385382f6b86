"""Clicks in the pulse DM and in `/atlas me`."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond

from bot.blocks import member
from bot.blocks import pulse as pulse_blocks
from bot.context import AppContext
from bot.ids import ActionId
from bot.listeners import home
from bot.listeners.guard import guarded
from bot.outbound import Outcome
from bot.payloads import AnswerRef
from bot.services import members, pulse_answers
from bot.storage.db import BudgetExceeded

log = logging.getLogger(__name__)

NOT_SAVED = "Your answer was not saved: our database did not answer in time. Please click it again."


def register(app: App) -> None:
    """Attach the pulse and `/atlas me` actions."""
    app.action(re.compile(rf"^{re.escape(ActionId.PULSE_ANSWER)}\."))(guarded(on_answer))
    app.action(ActionId.DELETE_MY_ANSWERS)(guarded(on_delete))
    app.action(ActionId.EXPORT_MY_DATA)(guarded(on_export))


def on_answer(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, ctx: AppContext
) -> None:
    """Save the click first and ack after: an acknowledged answer is a stored answer.

    The save runs under the request's budget; if the database is too slow it saves nothing and
    the person is told so at once, never later.
    """
    ref = AnswerRef.decode(action.get("block_id"))
    try:
        result = (
            pulse_answers.record(
                db=ctx.db,
                slack_team_id=(body.get("team") or {}).get("id", ""),
                user_id=(body.get("user") or {}).get("id", ""),
                delivery_id=ref.delivery_id,
                question_id=ref.question_id,
                values=_values(action),
                now=ctx.clock(),
            )
            if ref is not None
            else pulse_answers.AnswerResult(pulse_answers.Refusal.UNKNOWN)
        )
    except BudgetExceeded:
        ack()
        log.warning("a pulse answer was not saved in time")
        respond(text=NOT_SAVED, response_type="ephemeral", replace_original=False)
        return
    ack()
    if result.refusal is not None:
        respond(
            text=member.refusal(result.refusal), response_type="ephemeral", replace_original=False
        )
        return
    view = pulse_answers.current_view(db=ctx.db, delivery_id=result.delivery_id, now=ctx.clock())
    if view is not None:  # the person's data was deleted meanwhile: nothing to show
        message = pulse_blocks.pulse_message(view)
        respond(text=message.text, blocks=message.blocks, replace_original=True)


def on_delete(ack: Ack, body: dict[str, Any], respond: Respond, ctx: AppContext) -> None:
    """The confirmed "Delete my data" button in `/atlas me` or on the Home tab."""
    slack_team_id = (body.get("team") or {}).get("id", "")
    user_id = (body.get("user") or {}).get("id", "")
    erased = members.delete_my_data(
        db=ctx.db, slack_team_id=slack_team_id, user_id=user_id, now=ctx.clock()
    )
    ack()
    if (body.get("container") or {}).get("type") == "view":
        # Clicked on the Home tab: there is no message to replace, the tab itself changes.
        home.refresh(ctx, slack_team_id=slack_team_id, user_id=user_id)
        return
    reply = member.deleted(erased)
    respond(text=reply.text, blocks=reply.blocks, replace_original=True, response_type="ephemeral")


def on_export(ack: Ack, body: dict[str, Any], respond: Respond, ctx: AppContext) -> None:
    """ "Export my data" in `/atlas me`: the file is built and uploaded in the background."""
    ack()
    on_view = (body.get("container") or {}).get("type") == "view"
    start_export(
        ctx,
        slack_team_id=(body.get("team") or {}).get("id", ""),
        user_id=(body.get("user") or {}).get("id", ""),
        respond=None if on_view else respond,
    )
    if not on_view:  # the Home tab has no message to answer under; the file is the answer
        reply = member.preparing_export()
        respond(text=reply.text, blocks=reply.blocks, replace_original=False)


def start_export(
    ctx: AppContext, *, slack_team_id: str, user_id: str, respond: Respond | None
) -> None:
    """Hand the export to the background; a failed delivery is said where it was asked for."""

    def work() -> None:
        result = members.send_my_data(
            db=ctx.db,
            caller=ctx.caller,
            slack_team_id=slack_team_id,
            user_id=user_id,
            now=ctx.clock(),
        )
        if result.outcome is not Outcome.OK and respond is not None:
            reply = member.export_failed()
            respond(text=reply.text, blocks=reply.blocks, replace_original=False)

    # Two clicks before the first file is built make one file.
    ctx.background.submit(work, key=("export-my-data", slack_team_id, user_id))


def _values(action: dict[str, Any]) -> list[str]:
    """The chosen value(s) of a button, a multi-select or a user select."""
    kind = action.get("type")
    if kind == "button":
        return [str(action.get("value", ""))]
    if kind == "multi_static_select":
        options = action.get("selected_options")
        options = options if isinstance(options, list) else []
        return [str(o.get("value", "")) for o in options if isinstance(o, dict)]
    if kind == "users_select":
        chosen = action.get("selected_user")
        return [chosen] if isinstance(chosen, str) and chosen else []
    return []
