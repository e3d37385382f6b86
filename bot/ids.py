"""Every action, block and callback id the app uses, in one place."""

from __future__ import annotations

import enum

COMMAND = "/atlas"


class ActionId(enum.StrEnum):
    """`action_id`s of interactive elements."""

    SHOW_MODE = "atlas.show_mode"
    PULSE_ANSWER = "pulse.answer"  # followed by .<question id>[.<option key>]
    DELETE_MY_ANSWERS = "me.delete_answers"  # deletes all of the person's data, not only answers
    EXPORT_MY_DATA = "me.export_data"
    FINDING_ACK = "finding.ack"
    FINDING_SNOOZE = "finding.snooze"
    FINDING_NOT_APPLICABLE = "finding.not_applicable"
    FINDING_UNDO = "finding.undo_not_applicable"
    SETUP_OPEN = "setup.open"  # value: a team id to edit, or "" for a new team
    WORKFLOW_ADD = "workflow.add"  # value: the team id
    WORKFLOW_EDIT = "workflow.edit"  # value: the workflow id
    WORKFLOW_REMOVE = "workflow.remove"  # value: the workflow id
    WORKFLOW_UNDO = "workflow.undo_remove"  # value: the workflow id
    OFFICE_HOURS_RSVP = "office_hours.rsvp"  # value: the session id
    OFFICE_HOURS_CANCEL = "office_hours.cancel_rsvp"  # value: the session id
    OFFICE_HOURS_HERE = "office_hours.here"  # value: the session id
    CHECK_IN_ON_TRACK = "check_in.on_track"  # followed by .<yes|partly|no>; value: check-in id
    CHECK_IN_SHIPPED = "check_in.shipped"  # followed by .<yes|no>; value: check-in id
    HOME_EXPORT = "home.export"  # value: the team id
    HOME_PAUSE = "home.pause"  # pause the person's pulse in every team, from the Home tab
    HOME_RESUME = "home.resume"  # and resume it


class BlockId(enum.StrEnum):
    """`block_id`s that carry meaning."""

    MODE_CARD = "atlas.mode_card"


class CallbackId(enum.StrEnum):
    """`callback_id`s of modals."""

    CHECK = "atlas.check"
    SETUP = "atlas.setup"
    WORKFLOW = "atlas.workflow"
