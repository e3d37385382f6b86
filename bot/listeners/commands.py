"""`/atlas`: read the atlas from Slack."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.blocks import atlas_cards
from bot.ids import COMMAND
from bot.listeners.guard import guarded
from bot.services import reference


def register(app: App) -> None:
    """Attach the `/atlas` command."""
    app.command(COMMAND)(guarded(atlas_command))


def atlas_command(ack: Ack, command: dict[str, Any]) -> None:
    """Answer inside the ack itself: no Web API call, so it is fast even when Slack's API is not."""
    answer = reference.interpret(command.get("text") or "")
    reply = atlas_cards.render(answer)
    ack(response_type="ephemeral", text=reply.text, blocks=reply.blocks)
