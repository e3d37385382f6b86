"""A simulated person: reads the DMs the app sent in the sandbox and clicks what is there.

Clicks are built from the blocks the app actually posted, signed, and sent to the app as
block_actions, never written to the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.sandbox.signer import SignedSender, SlackReply
from bot.sandbox.web_api import FakeSlack


@dataclass
class Person:
    """Someone in the sandbox workspace who answers pulses by clicking."""

    user_id: str
    slack: FakeSlack
    sender: SignedSender

    def dms(self) -> list[dict[str, Any]]:
        """The messages in this person's DM with the app, oldest first."""
        return self.slack.messages_in(self.slack.dm_channel(self.user_id))

    def latest_pulse(self) -> dict[str, Any] | None:
        """The newest DM that has pulse questions in it."""
        for message in reversed(self.dms()):
            if any(_is_pulse_block(b) for b in message.get("blocks") or []):
                return message
        return None

    def answer(
        self,
        question_id: str,
        value: str | list[str],
        *,
        message: dict[str, Any] | None = None,
        as_user: str | None = None,
    ) -> SlackReply:
        """Click an option (a button's value, options of a multi-select, or a user id)."""
        message = message or self.latest_pulse()
        if message is None:
            raise LookupError(f"{self.user_id} has no pulse to answer")
        block, element = find_element(message["blocks"], question_id)
        action = click_payload(block, element, value)
        channel = self.slack.dm_channel(self.user_id)
        return self.sender.block_action(
            action, user_id=as_user or self.user_id, message=message, channel_id=channel
        )


def _is_pulse_block(block: dict[str, Any]) -> bool:
    return block.get("type") == "actions" and str(block.get("block_id", "")).startswith("pulse|")


def find_element(
    blocks: list[dict[str, Any]], question_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The actions block and its first element for one question."""
    for block in blocks:
        if _is_pulse_block(block) and block["block_id"].split("|")[-1] == question_id:
            return block, block["elements"][0]
    raise LookupError(f"no element for question {question_id!r} in the message")


def click_payload(
    block: dict[str, Any], element: dict[str, Any], value: str | list[str]
) -> dict[str, Any]:
    """The `actions[0]` Slack sends for this element with this value chosen."""
    kind = element["type"]
    base = {"block_id": block["block_id"], "type": kind}
    if kind == "button":
        for button in block["elements"]:
            if button["value"] == value:
                return {
                    **base,
                    "action_id": button["action_id"],
                    "value": button["value"],
                    "text": button["text"],
                }
        raise LookupError(f"no button with value {value!r}")
    if kind == "multi_static_select":
        wanted = [value] if isinstance(value, str) else list(value)
        options = [o for o in element["options"] if o["value"] in wanted]
        if len(options) != len(wanted):
            raise LookupError(f"options {wanted!r} are not all offered")
        return {**base, "action_id": element["action_id"], "selected_options": options}
    if kind == "users_select":
        return {**base, "action_id": element["action_id"], "selected_user": value}
    raise LookupError(f"cannot click a {kind}")
