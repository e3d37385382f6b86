"""`/atlas workflow`: add, list, edit and remove workflows in the team's registry."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.blocks import member
from bot.blocks import workflows as blocks
from bot.blocks.common import Message, quote_user_text, read_inputs
from bot.context import AppContext
from bot.ids import COMMAND, ActionId, CallbackId
from bot.listeners.guard import guarded, not_held
from bot.outbound import Outcome
from bot.payloads import WorkflowMeta, decode_id
from bot.services import workflows

log = logging.getLogger(__name__)

USAGE = (
    f"`{COMMAND} workflow` adds a workflow to your team's registry, `{COMMAND} workflow list` "
    f"shows them, `{COMMAND} workflow edit NAME` changes one."
)


def register(app: App) -> None:
    """Attach the registry's buttons and modal."""
    app.action(ActionId.WORKFLOW_ADD)(guarded(on_add))
    app.action(ActionId.WORKFLOW_EDIT)(guarded(on_edit))
    app.action(ActionId.WORKFLOW_REMOVE)(guarded(on_archive))
    app.action(ActionId.WORKFLOW_UNDO)(guarded(on_archive))
    app.view(CallbackId.WORKFLOW)(guarded(on_submit))


def on_add(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, ctx: AppContext
) -> None:
    not_held(ctx)
    ack()
    user, slack_team = _who(body)
    team_id = decode_id(action.get("value"))
    _open(ctx, client, body.get("trigger_id", ""), slack_team, user, team_id=team_id)


def on_edit(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    ctx: AppContext,
) -> None:
    not_held(ctx)
    ack()
    user, slack_team = _who(body)
    found = _workflow(ctx, action)
    if found is None or not workflows.may_edit(db=ctx.db, workflow_id=found.id, user_id=user):
        _refuse(respond)
        return
    trigger = body.get("trigger_id", "")
    _open(ctx, client, trigger, slack_team, user, team_id=found.team_id, workflow=found)


def on_archive(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, ctx: AppContext
) -> None:
    """Remove (archive) a workflow, or undo that (saved before the ack); the message says so."""
    user, _ = _who(body)
    found = _workflow(ctx, action)
    undo = action.get("action_id") == ActionId.WORKFLOW_UNDO
    change = workflows.restore if undo else workflows.remove
    try:
        if found is None:
            raise LookupError
        done = change(
            db=ctx.db, workflow_id=found.id, by=user, now=ctx.clock(), followup=ctx.followup
        )
    except (LookupError, workflows.NotAllowed):
        ack()
        _refuse(respond)
        return
    except workflows.WorkflowError as exc:  # its name was taken again meanwhile
        ack()
        respond(text=" ".join(exc.errors.values()), replace_original=False)
        return
    ack()
    reply = blocks.saved(done, created=False) if undo else blocks.removed(done)
    respond(text=reply.text, blocks=reply.blocks, replace_original=True)


def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], ctx: AppContext) -> None:
    user, slack_team = _who(body)
    meta = WorkflowMeta.decode(view.get("private_metadata"))
    raw = read_inputs((view.get("state") or {}).get("values", {}))
    team_value = raw.pop("team", None)
    team_id = decode_id(team_value) or meta.team_id
    workflow_id = meta.workflow_id
    now = ctx.clock()
    try:
        done = workflows.save(
            db=ctx.db,
            slack_team_id=slack_team,
            user_id=user,
            team_id=team_id,
            workflow_id=workflow_id,
            data=workflows.read(raw, today=now.date()),
            now=now,
            followup=ctx.followup,
        )
    except workflows.WorkflowError as exc:
        ack(response_action="errors", errors=exc.errors)
        return
    except (workflows.NotAllowed, LookupError):
        ack(
            response_action="errors",
            errors={
                "name": "Only members of the team can add to its registry, and only "
                "its owner or the workflow's owner can change it."
            },
        )
        return
    ack()
    reply = blocks.saved(done, created=workflow_id is None)
    ctx.background.submit(_confirm, ctx, user, reply)


def command(ctx: AppContext, ack: Ack, command: dict[str, Any], client: WebClient) -> None:
    """`/atlas workflow [add | list | edit NAME]`."""
    user, slack_team = command.get("user_id", ""), command.get("team_id", "")
    parts = (command.get("text") or "").split(maxsplit=2)[1:]
    verb = parts[0].casefold() if parts else "add"
    rest = " ".join(parts[1:]).strip()
    teams = teams_of(ctx, slack_team, user)
    if not teams:
        _reply(
            ack,
            member.text_reply(
                "You are not in a team that Adoption Atlas follows yet. "
                f"`{COMMAND} setup` sets one up."
            ),
        )
        return
    if verb == "add":
        not_held(ctx)
        ack()
        _open(ctx, client, command["trigger_id"], slack_team, user, team_id=teams[0][0])
        return
    if verb == "list":
        _reply(ack, _listing(ctx, user, teams))
        return
    if verb == "edit" and rest:
        found = _named(ctx, teams, rest)
        if found is None:
            names = [w.name for t, _ in teams for w in workflows.listing(db=ctx.db, team_id=t)]
            known = ", ".join(names[:10]) or "none yet"
            _reply(
                ack,
                member.text_reply(
                    f"No workflow called “{quote_user_text(rest)}”. In the registry: {known}."
                ),
            )
            return
        if not workflows.may_edit(db=ctx.db, workflow_id=found.id, user_id=user):
            _reply(
                ack,
                member.text_reply(
                    "Only the team's owner, the workflow's owner or whoever added it can change it."
                ),
            )
            return
        not_held(ctx)
        ack()
        _open(
            ctx,
            client,
            command["trigger_id"],
            slack_team,
            user,
            team_id=found.team_id,
            workflow=found,
        )
        return
    _reply(ack, member.text_reply(f"Did you mean one of these? {USAGE}"))


def teams_of(ctx: AppContext, slack_team: str, user: str) -> list[tuple[int, str]]:
    """Teams whose registry this person may add to."""
    return workflows.teams_for(db=ctx.db, slack_team_id=slack_team, user_id=user)


def _open(
    ctx: AppContext,
    client: WebClient,
    trigger_id: str,
    slack_team: str,
    user: str,
    *,
    team_id: int | None,
    workflow: workflows.WorkflowView | None = None,
) -> None:
    teams = teams_of(ctx, slack_team, user)
    if workflow is None and team_id not in {t for t, _ in teams}:
        team_id = teams[0][0] if teams else None
    if team_id is None:
        from bot.blocks.common import error_modal

        client.views_open(
            trigger_id=trigger_id,
            view=error_modal(f"You are not in a team yet. `{COMMAND} setup` sets one up."),
        )
        return
    view = blocks.workflow_modal(
        team_id=team_id, teams=teams, workflow=workflow, default_owner=user
    )
    client.views_open(trigger_id=trigger_id, view=view)


def _listing(ctx: AppContext, user: str, teams: list[tuple[int, str]]) -> Message:
    replies = []
    for team_id, name in teams[:3]:
        listed = workflows.listing(db=ctx.db, team_id=team_id)
        editable = {
            w.id for w in listed if workflows.may_edit(db=ctx.db, workflow_id=w.id, user_id=user)
        }
        replies.append(blocks.listing(name, listed, editable))
    blocks_ = [b for r in replies for b in r.blocks][:50]
    return Message(text=" ".join(r.text for r in replies), blocks=blocks_)


def _named(
    ctx: AppContext, teams: list[tuple[int, str]], name: str
) -> workflows.WorkflowView | None:
    for team_id, _ in teams:
        for w in workflows.listing(db=ctx.db, team_id=team_id):
            if w.name.casefold() == name.casefold():
                return w
    return None


def _workflow(ctx: AppContext, action: dict[str, Any]) -> workflows.WorkflowView | None:
    workflow_id = decode_id(action.get("value"))
    return workflows.get(db=ctx.db, workflow_id=workflow_id) if workflow_id else None


def _reply(ack: Ack, message: Message) -> None:
    ack(response_type="ephemeral", text=message.text, blocks=message.blocks)


def _refuse(respond: Respond) -> None:
    respond(
        text="Only the team's owner, the workflow's owner or whoever added it can change it, "
        "and it has to still exist.",
        response_type="ephemeral",
        replace_original=False,
    )


def _confirm(ctx: AppContext, user: str, reply: Message) -> None:
    """DM the saved workflow to the person who saved it."""
    result = ctx.caller.call("chat.postMessage", channel=user, text=reply.text, blocks=reply.blocks)
    if result.outcome is not Outcome.OK:
        log.warning("could not confirm a workflow save to %s: %s", user, result.error)


def _who(body: dict[str, Any]) -> tuple[str, str]:
    user = (body.get("user") or {}).get("id", "")
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id", "")
    return user, team
