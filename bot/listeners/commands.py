"""`/atlas`: read the atlas, and a person's own pulse controls."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App

from bot.blocks import atlas_cards, member
from bot.context import AppContext
from bot.ids import COMMAND
from bot.listeners.guard import guarded
from bot.parsing import parse_future_date, split_command
from bot.scheduling.calendar import zone
from bot.services import members, pulse, reference


def register(app: App, ctx: AppContext) -> None:
    """Attach the `/atlas` command."""

    def atlas_command(ack: Ack, command: dict[str, Any]) -> None:
        """Answer inside the ack itself: fast even when Slack's Web API is not."""
        word, rest = split_command(command.get("text") or "")
        handler = SUBCOMMANDS.get(word)
        if handler is not None:
            reply = handler(ctx, command, rest)
        else:
            reply = atlas_cards.render(reference.interpret(command.get("text") or ""))
        ack(response_type="ephemeral", text=reply.text, blocks=reply.blocks)

    app.command(COMMAND)(guarded(atlas_command))


def _ids(command: dict[str, Any]) -> dict[str, str]:
    return {"slack_team_id": command.get("team_id", ""), "user_id": command.get("user_id", "")}


def _pause(ctx: AppContext, command: dict[str, Any], rest: str) -> atlas_cards.Reply:
    until = None
    if rest.strip():
        today = datetime.now(UTC).astimezone(zone(command.get("tz"))).date()
        until = parse_future_date(rest, today)
        if until is None:
            return member.bad_date(rest)
    return member.paused(members.pause(db=ctx.db, until=until, **_ids(command)), until)


def _resume(ctx: AppContext, command: dict[str, Any], rest: str) -> atlas_cards.Reply:
    return member.resumed(members.resume(db=ctx.db, **_ids(command)))


def _me(ctx: AppContext, command: dict[str, Any], rest: str) -> atlas_cards.Reply:
    return member.my_data(members.my_data(db=ctx.db, **_ids(command)))


def _pulse(ctx: AppContext, command: dict[str, Any], rest: str) -> atlas_cards.Reply:
    if rest.strip().casefold() != "now":
        return member.text_reply(f"Did you mean `{COMMAND} pulse now`? It starts a pulse today.")
    owned = members.owned_teams(db=ctx.db, **_ids(command))
    if not owned:
        return member.not_owner()
    replies = []
    for team_id, name in owned:
        started = pulse.start_now(db=ctx.db, team_id=team_id, now=datetime.now(UTC))
        replies.append(member.pulse_started(name, started.created, started.local_date))
    return atlas_cards.Reply(
        text=" ".join(r.text for r in replies), blocks=[b for r in replies for b in r.blocks]
    )


SUBCOMMANDS = {"pause": _pause, "resume": _resume, "me": _me, "pulse": _pulse}
