"""The owner's alert buttons and the self-assessment modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.blocks import diagnosis as blocks
from bot.context import AppContext
from bot.ids import ActionId, CallbackId
from bot.listeners.guard import guarded
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


def register(app: App, ctx: AppContext) -> None:
    """Attach the alert buttons and the check modal."""

    def on_finding(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        """Acknowledge, snooze or silence an alert; the message says what was done."""
        ack()
        user = (body.get("user") or {}).get("id", "")
        kind = ACTIONS[action["action_id"]]
        try:
            finding_id = int(action.get("value", ""))
            diagnosis.act(
                db=ctx.db, finding_id=finding_id, user_id=user, action=kind, now=ctx.clock()
            )
        except (ValueError, LookupError, diagnosis.NotAllowed):
            respond(
                text="Only the team's rollout owner can act on this alert, and it has to "
                "still exist.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        original = (body.get("message") or {}).get("blocks") or []
        updated = blocks.alert_after_action(
            original, NOTES[kind].format(user=user), finding_id, undo=kind == "not_applicable"
        )
        respond(
            text=(body.get("message") or {}).get("text", "Alert"),
            blocks=updated,
            replace_original=True,
        )

    def on_check(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        """Save the self-assessment, close the modal, then re-run the diagnosis."""
        user = (body.get("user") or {}).get("id", "")
        team_ids = {t for t, _ in owner.owned(db=ctx.db, slack_team_id=_team(body), user_id=user)}
        try:
            team_id = int(view.get("private_metadata", ""))
        except ValueError:
            team_id = -1
        if team_id not in team_ids:
            ack(
                response_action="errors",
                errors={"stage_1": "Only the team's rollout owner can save this."},
            )
            return
        ticked, notes = blocks.parse_check(view.get("state", {}).get("values", {}))
        now = ctx.clock()
        owner.save_marks(
            db=ctx.db, team_id=team_id, user_id=user, ticked=ticked, notes=notes, now=now
        )
        ack()
        diagnosis.run_team(db=ctx.db, team_id=team_id, caller=ctx.caller, now=now, trigger="check")

    for action_id in ACTIONS:
        app.action(action_id)(guarded(on_finding))
    app.view(CallbackId.CHECK)(guarded(on_check))


def _team(body: dict[str, Any]) -> str:
    return (body.get("team") or {}).get("id", "") or (body.get("user") or {}).get("team_id", "")
