"""`/atlas`: read the atlas, and a person's own pulse controls."""

from __future__ import annotations

import difflib
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from atlas import lookup
from bot.blocks import atlas_cards, member
from bot.blocks import diagnosis as diagnosis_blocks
from bot.blocks.common import Message, quote_user_text
from bot.context import AppContext
from bot.ids import COMMAND
from bot.listeners import pulse_actions, setup, workflows
from bot.listeners.guard import guarded, not_held
from bot.parsing import parse_future_date, split_command
from bot.scheduling.calendar import zone
from bot.services import members, owner, pulse, reference


def register(app: App) -> None:
    """Attach the `/atlas` command."""
    app.command(COMMAND)(guarded(atlas_command))


def atlas_command(ack: Ack, command: dict[str, Any], client: WebClient, ctx: AppContext) -> None:
    """Answer inside the ack itself: fast even when Slack's Web API is not."""
    word, rest = split_command(command.get("text") or "")
    if word == "check":
        _check(ctx, ack, command, client)
        return
    if word == "setup":
        setup.command(ctx, ack, command, client)
        return
    if word in ("workflow", "workflows"):
        workflows.command(ctx, ack, command, client)
        return
    handler = SUBCOMMANDS.get(word)
    reply = handler(ctx, command, rest) if handler is not None else _reference(ctx, command)
    # The Home tab shows the pause state too; it is built afresh whenever it is opened
    # (app_home_opened), so a command typed in a channel has no tab to refresh.
    ack(response_type="ephemeral", text=reply.text, blocks=reply.blocks)


def _reference(ctx: AppContext, command: dict[str, Any]) -> Message:
    """A mode card, with "in your team" for an owner whose team shows the mode."""
    answer = reference.interpret(command.get("text") or "")
    if isinstance(answer, reference.NotFound):
        word, _ = split_command(command.get("text") or "")
        meant = difflib.get_close_matches(word, WORDS, n=1, cutoff=0.7)
        if meant:  # a typo of one of our words, more likely than a search for it
            return member.text_reply(
                f"`{COMMAND} {quote_user_text(word)}` is not something I know. Did you mean "
                f"`{COMMAND} {meant[0]}`? `{COMMAND} help` lists everything."
            )
    if isinstance(answer, reference.ShowMode):
        found = owner.finding_for(db=ctx.db, mode_id=answer.mode.id, **_ids(command))
        if found is not None:
            team, finding = found
            return atlas_cards.mode_card(
                answer.mode, answer.stage, team_note=diagnosis_blocks.team_note(team, finding)
            )
    return atlas_cards.render(answer)


def _check(ctx: AppContext, ack: Ack, command: dict[str, Any], client: WebClient) -> None:
    """Open the self-assessment for the owner's team."""
    not_held(ctx)
    owned = owner.owned(db=ctx.db, **_ids(command))
    if not owned:
        reply = member.text_reply(
            "Only a team's rollout owner (or a workspace admin) can run "
            f"the self-assessment. `{COMMAND} status` shows the diagnosis."
        )
        ack(response_type="ephemeral", text=reply.text, blocks=reply.blocks)
        return
    ack()
    team_id, name = owned[0]
    stages = [(s, list(lookup.stage_modes(s.number))) for s in lookup.stages()]
    view = diagnosis_blocks.check_modal(
        team_id, name, stages, owner.marks(db=ctx.db, team_id=team_id)
    )
    client.views_open(trigger_id=command["trigger_id"], view=view)


def _status(ctx: AppContext, command: dict[str, Any], rest: str) -> Message:
    now = ctx.clock()
    setting = rest.strip().casefold()
    if setting in ("share on", "share off"):
        owned = owner.owned(db=ctx.db, **_ids(command))
        if not owned:
            return member.text_reply("Only a team's rollout owner can change what is shared.")
        for team_id, _ in owned:
            owner.set_sharing(db=ctx.db, team_id=team_id, share=setting == "share on")
        who = "everyone in the team" if setting == "share on" else "only you"
        return member.text_reply(f"From now on {who} can see the diagnosis summary.")
    replies = []
    for view in owner.views(db=ctx.db, now=now, **_ids(command)):
        replies.append(_status_of(view))
    if not replies:
        return member.text_reply("You are not in a team that Adoption Atlas follows yet.")
    return Message(
        text=" ".join(r.text for r in replies), blocks=[b for r in replies for b in r.blocks][:50]
    )


def _status_of(view: owner.TeamView) -> Message:
    if view.diagnosis is None:
        message = diagnosis_blocks.not_yet(view.name)
    elif view.full:
        message = diagnosis_blocks.status(
            view.name,
            view.diagnosis,
            member_count=view.member_count,
            min_group_size=view.min_group_size,
            recovery_day=view.recovery_day,
        )
    elif view.shared:
        message = diagnosis_blocks.summary(view.name, view.diagnosis)
    else:
        message = diagnosis_blocks.not_shared(view.name)
    return Message(text=message.text, blocks=message.blocks)


def _ids(command: dict[str, Any]) -> dict[str, str]:
    return {"slack_team_id": command.get("team_id", ""), "user_id": command.get("user_id", "")}


def _pause(ctx: AppContext, command: dict[str, Any], rest: str) -> Message:
    until = None
    if rest.strip():
        today = ctx.clock().astimezone(zone(command.get("tz"))).date()
        until = parse_future_date(rest, today)
        if until is None:
            return member.bad_date(rest, today)
    return member.paused(members.pause(db=ctx.db, until=until, **_ids(command)), until)


def _resume(ctx: AppContext, command: dict[str, Any], rest: str) -> Message:
    return member.resumed(members.resume(db=ctx.db, **_ids(command)))


def _me(ctx: AppContext, command: dict[str, Any], rest: str) -> Message:
    if rest.strip().casefold() == "export":
        url = command.get("response_url")
        pulse_actions.start_export(
            ctx, **_ids(command), respond=Respond(response_url=url) if url else None
        )
        return member.preparing_export()
    return member.my_data(members.my_data(db=ctx.db, **_ids(command)))


def _pulse(ctx: AppContext, command: dict[str, Any], rest: str) -> Message:
    if rest.strip().casefold() != "now":
        return member.text_reply(f"Did you mean `{COMMAND} pulse now`? It starts a pulse today.")
    owned = members.owned_teams(db=ctx.db, **_ids(command))
    if not owned:
        return member.not_owner()
    replies = []
    for team_id, name in owned:
        started = pulse.start_now(db=ctx.db, team_id=team_id, now=ctx.clock())
        replies.append(
            member.pulse_started(name, started.created, started.local_date, started.closed)
        )
    return Message(
        text=" ".join(r.text for r in replies), blocks=[b for r in replies for b in r.blocks]
    )


SUBCOMMANDS = {
    "pause": _pause,
    "resume": _resume,
    "me": _me,
    "pulse": _pulse,
    "status": _status,
}
WORDS = (*SUBCOMMANDS, "check", "setup", "workflow", "help", "list", "recovery")
