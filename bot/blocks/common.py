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


# Zero-width characters and the bidirectional controls (RTL override and friends): invisible,
# they can hide or reorder what a name seems to say ("exe.txt" shown as "txt.exe").
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]"
)
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
NAME_CHARS = 80  # a team, workflow, tool or holiday name as shown: storage keeps 80 too
ELLIPSIS = "…"


def user_text(value: object, limit: int | None = NAME_CHARS) -> str:
    """Text a member supplied, safe to put in any mrkdwn or plain_text field.

    `&`, `<` and `>` become Slack's entities, so `<!channel>`, `<@U123>` and `<https://…|…>`
    show as the characters typed, never as a broadcast, a mention or a link; control,
    zero-width and bidirectional-control characters are dropped; and the result, entities
    counted, is at most `limit` characters (an ellipsis marks a cut), so a long name cannot
    push a block past Slack's limits. Every member-supplied text the builders show goes
    through here (`escape` is this with no limit, for text already bounded).
    """
    text = _INVISIBLE.sub("", _CONTROL.sub(" ", str(value if value is not None else "")))
    out: list[str] = []
    size = 0
    for index, char in enumerate(text):
        piece = _ENTITIES.get(char, char)
        if limit is not None and size + len(piece) > limit - (index < len(text) - 1):
            while out and size + len(ELLIPSIS) > limit:
                size -= len(out.pop())
            out.append(ELLIPSIS)
            break
        out.append(piece)
        size += len(piece)
    return "".join(out)


def escape(text: str) -> str:
    """`user_text` without a length limit: for text whose length is already bounded."""
    return user_text(text, limit=None)


def quote_user_text(text: str, limit: int = 40) -> str:
    """Echo what someone typed in a command: `user_text`, and also without mentions,
    broadcasts, links or formatting, all on one line."""
    text = _SLACK_TOKEN.sub("", text)
    text = _BROADCAST.sub("", text)
    text = _FORMATTING.sub("", _CONTROL.sub(" ", text))
    text = " ".join(_INVISIBLE.sub("", text).split())
    return user_text(text, limit)


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
