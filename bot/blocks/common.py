"""Small helpers shared by the builders: safe text, attribution, limits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from atlas.taxonomy import ATLAS_URL, ATTRIBUTION

MAX_BLOCKS_PER_MESSAGE = 50
MAX_BLOCKS_PER_VIEW = 100
MAX_SECTION_TEXT = 3000

_SLACK_TOKEN = re.compile(r"<[^>]*>")
_BROADCAST = re.compile(r"[@!](here|channel|everyone)\b", re.IGNORECASE)
_FORMATTING = re.compile(r"[*_~`>]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Message:
    """What a builder returns: fallback text plus validated blocks."""

    text: str
    blocks: list[dict[str, Any]]


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quote_user_text(text: str, limit: int = 40) -> str:
    """Make user input safe to show back: no mentions, broadcasts, links or formatting."""
    text = _SLACK_TOKEN.sub("", text)
    text = _BROADCAST.sub("", text)
    text = _FORMATTING.sub("", _CONTROL.sub(" ", text))
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return escape(text)


def attribution() -> ContextBlock:
    """The citation the atlas asks for, with its link, for every place a mode is shown."""
    return ContextBlock(
        elements=[
            MarkdownTextObject(
                text=f"Source: <{ATLAS_URL}|{ATTRIBUTION}>. Descriptions are Adoption Atlas's "
                "own words."
            )
        ]
    )


def to_dicts(blocks: list[Block], limit: int = MAX_BLOCKS_PER_MESSAGE) -> list[dict[str, Any]]:
    """Validate each block (slack_sdk checks the per-element limits) and the block count."""
    if len(blocks) > limit:
        raise ValueError(f"{len(blocks)} blocks exceed Slack's limit of {limit}")
    return [block.to_dict() for block in blocks]


def error_modal(message: str) -> dict[str, Any]:
    """A modal that replaces one whose submission failed, saying what happened."""
    view = View(
        type="modal",
        title="Adoption Atlas",
        close="Close",
        blocks=[SectionBlock(text=MarkdownTextObject(text=message))],
    )
    return view.to_dict()


INPUT = "value"  # the action_id of every modal input whose block_id names the field
_SELECTED = {
    "conversations_select": "selected_conversation",
    "users_select": "selected_user",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
}


def read_inputs(values: dict[str, Any]) -> dict[str, str | None]:
    """A submitted modal's fields as text, by block_id (an empty field is None).

    A part of another shape than Slack's (a list where an object belongs, a number where text
    does) reads as an empty field, so the field's own check says what is missing.
    """
    raw: dict[str, str | None] = {}
    for block_id, actions in _object(values).items():
        state = _object(_object(actions).get(INPUT))
        kind = state.get("type")
        if kind in _SELECTED:
            value = state.get(_SELECTED[kind])
        elif kind == "static_select":
            value = _object(state.get("selected_option")).get("value")
        else:  # plain_text_input, number_input
            value = state.get("value")
        raw[block_id] = value if isinstance(value, str) else None
    return raw


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
