"""Every action, block and callback id the app uses, in one place."""

from __future__ import annotations

import enum

COMMAND = "/atlas"


class ActionId(enum.StrEnum):
    """`action_id`s of interactive elements."""

    SHOW_MODE = "atlas.show_mode"


class BlockId(enum.StrEnum):
    """`block_id`s that carry meaning."""

    MODE_CARD = "atlas.mode_card"
