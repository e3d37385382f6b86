"""The owner's alert buttons and the self-assessment modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond

from bot.blocks import diagnosis as blocks
from bot.context import AppContext
from bot.ids import ActionId, CallbackId
from bot.listeners.guard import guarded
from bot.payloads import CheckMeta, decode_id
from bot.services import diagnosis, owner

NOTES = {
    "ack": "Acknowledged by <@{user}>.",
    "snooze": "Snoozed for two weeks by <@{user}>; it will alert again after that if it is "
    "still detected.",
    "not_applicable": "Marked not applicable by <@{user}>: no more alerts for this mode here.",
    "undo_not_applicable": "<@{user}> undid “not applicable”: alerts for this mode are back on.",
}
ACTIONS = {
    ActionId.FINDING_ACK: "ack",
    ActionId.FINDING_SNOOZE: "snooze",
    ActionId.FINDING_NOT_APPLICABLE: "not_applicable",
    ActionId.FINDING_UNDO: "undo_not_applicable",
}


def register(app: App) -> None:
    """Attach the alert buttons and the check modal."""
    for action_id in ACTIONS:
        app.action(action_id)(guarded(on_finding))
    app.view(CallbackId.CHECK)(guarded(on_check))


def on_finding(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, ctx: AppContext
) -> None:
    """Acknowledge, snooze or silence an alert (saved before the ack); the message says so."""
    user = (body.get("user") or {}).get("id", "")
    kind = ACTIONS[action["action_id"]]
    try:
        finding_id = decode_id(action.get("value"))
        if finding_id is None:
            raise LookupError(action.get("value"))
        diagnosis.act(db=ctx.db, finding_id=finding_id, user_id=user, action=kind, now=ctx.clock())
    except (ValueError, LookupError, diagnosis.NotAllowed):
        ack()
        respond(
            text="Only the team's rollout owner can act on this alert, and it has to still exist.",
            response_type="ephemeral",
            replace_original=False,
        )
        return
    ack()
    original = (body.get("message") or {}).get("blocks") or []
    updated = blocks.alert_after_action(
        original, NOTES[kind].format(user=user), finding_id, undo=kind == "not_applicable"
    )
    respond(
        text=(body.get("message") or {}).get("text", "Alert"),
        blocks=updated,
        replace_original=True,
    )


def on_check(ack: Ack, body: dict[str, Any], view: dict[str, Any], ctx: AppContext) -> None:
    """Save the self-assessment, close the modal, then re-run the diagnosis."""
    user = (body.get("user") or {}).get("id", "")
    meta = CheckMeta.decode(view.get("private_metadata"))
    team_id = meta.team_id if meta is not None else None
    ticked, notes = blocks.parse_check((view.get("state") or {}).get("values") or {})
    now = ctx.clock()
    try:
        owner.save_marks(
            db=ctx.db,
            slack_team_id=_team(body),
            team_id=team_id,
            user_id=user,
            ticked=ticked,
            notes=notes,
            now=now,
            followup=ctx.followup,
        )
    except owner.NotOwner:
        ack(
            response_action="errors",
            errors={"stage_1": "Only the team's rollout owner can save this."},
        )
        return
    ack()


def _team(body: dict[str, Any]) -> str:
    return (body.get("team") or {}).get("id", "") or (body.get("user") or {}).get("team_id", "")
