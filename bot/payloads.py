"""What the app carries in Slack's opaque fields, encoded and decoded in one place.

Button values, a pulse element's block_id and a modal's private_metadata come back to us in
requests anyone holding a signed request could have shaped. Each is a small typed value here:
`encode` writes it, `decode` reads it back and answers None for anything malformed (wrong shape,
wrong type, an id that is not a positive number of sensible size), never raising.

The wire formats are the ones messages and modals already in Slack carry, so a click on a
message sent before an upgrade still decodes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_ID = 2**31 - 1  # a database id: the tables' INTEGER keys
_MAX_DIGITS = len(str(MAX_ID))


def encode_id(value: int) -> str:
    """A database id as a button value."""
    return str(value)


def decode_id(raw: Any) -> int | None:
    """A database id from a button value or a metadata field; None unless a sane positive int."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 < raw <= MAX_ID else None
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit():
        return None
    if len(raw) > _MAX_DIGITS:
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


@dataclass(frozen=True)
class AnswerRef:
    """A pulse element's block_id: which delivery and which question."""

    delivery_id: int
    question_id: str

    def encode(self) -> str:
        """As a block_id."""
        return f"pulse|{self.delivery_id}|{self.question_id}"

    @classmethod
    def decode(cls, block_id: Any) -> AnswerRef | None:
        """Parse a block_id back; None when it is not one of ours or malformed."""
        parts = block_id.split("|") if isinstance(block_id, str) else []
        if len(parts) != 3 or parts[0] != "pulse" or not parts[2]:
            return None
        delivery_id = decode_id(parts[1])
        if delivery_id is None:
            return None
        return cls(delivery_id, parts[2][:40])


@dataclass(frozen=True)
class SetupMeta:
    """The setup modal's private_metadata: the team being edited, or None for a new one."""

    team_id: int | None

    def encode(self) -> str:
        """As private_metadata."""
        return json.dumps({"team_id": self.team_id})

    @classmethod
    def decode(cls, raw: Any) -> SetupMeta:
        """Read it back; anything malformed reads as a new team."""
        fields = _json_object(raw)
        return cls(decode_id(fields.get("team_id")))


@dataclass(frozen=True)
class WorkflowMeta:
    """The workflow modal's private_metadata: the team, and the workflow when editing one."""

    team_id: int | None
    workflow_id: int | None

    def encode(self) -> str:
        """As private_metadata."""
        return json.dumps({"team_id": self.team_id, "workflow_id": self.workflow_id})

    @classmethod
    def decode(cls, raw: Any) -> WorkflowMeta:
        """Read it back; fields that are malformed read as absent."""
        fields = _json_object(raw)
        return cls(decode_id(fields.get("team_id")), decode_id(fields.get("workflow_id")))


@dataclass(frozen=True)
class CheckMeta:
    """The self-assessment modal's private_metadata: the team's id, as a bare number."""

    team_id: int

    def encode(self) -> str:
        """As private_metadata."""
        return encode_id(self.team_id)

    @classmethod
    def decode(cls, raw: Any) -> CheckMeta | None:
        """Read it back; None when malformed."""
        team_id = decode_id(raw)
        return cls(team_id) if team_id is not None else None


def _json_object(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, str) or len(raw) > 3000:  # Slack's own limit on private_metadata
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
