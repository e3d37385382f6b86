"""Every action, block and callback id the app uses, in one place."""

from __future__ import annotations

import enum

COMMAND = "/atlas"


class ActionId(enum.StrEnum):
    """`action_id`s of interactive elements."""

    SHOW_MODE = "atlas.show_mode"
    PULSE_ANSWER = "pulse.answer"  # followed by .<question id>[.<option key>]
    DELETE_MY_ANSWERS = "me.delete_answers"
    FINDING_ACK = "finding.ack"
    FINDING_SNOOZE = "finding.snooze"
    FINDING_NOT_APPLICABLE = "finding.not_applicable"
    FINDING_UNDO = "finding.undo_not_applicable"


class BlockId(enum.StrEnum):
    """`block_id`s that carry meaning."""

    MODE_CARD = "atlas.mode_card"


class CallbackId(enum.StrEnum):
    """`callback_id`s of modals."""

    CHECK = "atlas.check"
