"""The App Home tab."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import DividerBlock, HeaderBlock, MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from bot.blocks.atlas_cards import help_message
from bot.blocks.common import MAX_BLOCKS_PER_VIEW


def home_view() -> dict[str, Any]:
    """The Home tab: what the app is, and how to read the atlas."""
    blocks = [
        HeaderBlock(text="Adoption Atlas"),
        SectionBlock(
            text=MarkdownTextObject(
                text="A short pulse in your DMs shows whether your team's AI rollout is taking "
                "hold. The rollout owner sees aggregates only, and only for groups at or above "
                "the team's minimum size."
            )
        ),
        DividerBlock(),
    ]
    view = View(type="home", blocks=blocks).to_dict()
    view["blocks"] += help_message().blocks  # ends with the attribution
    if len(view["blocks"]) > MAX_BLOCKS_PER_VIEW:
        raise ValueError("home view exceeds Slack's block limit")
    return view
