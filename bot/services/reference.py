"""Answering `/atlas …` questions about the atlas itself: a mode, a stage, a search, help."""

from __future__ import annotations

import re
from dataclasses import dataclass

from atlas import lookup
from atlas.modes import RECOVERY_STEPS
from atlas.taxonomy import FailureMode, RecoveryStep, Stage
from bot.parsing import MAX_COMMAND_CHARS


@dataclass(frozen=True)
class ShowMode:
    """One mode's card."""

    mode: FailureMode
    stage: Stage


@dataclass(frozen=True)
class ShowList:
    """Modes grouped by stage."""

    title: str
    groups: list[tuple[Stage, tuple[FailureMode, ...]]]


@dataclass(frozen=True)
class ShowSearch:
    """Modes matching words."""

    query: str
    modes: list[FailureMode]


@dataclass(frozen=True)
class NotFound:
    """Nothing matched, with likely alternatives and a reason."""

    query: str
    suggestions: list[FailureMode]
    reason: str


@dataclass(frozen=True)
class ShowHelp:
    """What the command does, optionally after a note on what went wrong."""

    note: str | None = None


@dataclass(frozen=True)
class ShowRecovery:
    """The five-step recovery pattern."""

    steps: tuple[RecoveryStep, ...]


Answer = ShowMode | ShowList | ShowSearch | NotFound | ShowHelp | ShowRecovery

_STAGE = re.compile(r"^stage\s*(?P<n>\S+)$")
_STAGE_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4"}
# Mentions, channel links and broadcasts arrive as <@U123>, <#C1|x>, <!here>; people also type
# @here. None of them is a search term, and none may be echoed back.
_SLACK_MARKUP = re.compile(r"<[^>]*>|[@!](?:here|channel|everyone)\b", re.IGNORECASE)


def interpret(text: str) -> Answer:
    """Turn the text after `/atlas` into what to show. Never raises on any input."""
    raw = text or ""
    if len(raw) > MAX_COMMAND_CHARS:
        return ShowHelp(
            note=f"That was {len(raw):,} characters; `/atlas` reads up to {MAX_COMMAND_CHARS}. "
            "A mode id like `2.2` or a word or two is all I need."
        )
    query = lookup.normalize(_SLACK_MARKUP.sub(" ", raw))
    if not query and raw.strip():
        return NotFound(
            query="",
            suggestions=[],
            reason="Mentions and links are not failure modes; try a mode id like `2.2` or a "
            "word such as `owner`.",
        )
    if query in ("", "help", "?", "h", "-h", "--help"):
        return ShowHelp()
    if query in ("list", "all", "modes", "ls"):
        return ShowList(
            title="The 25 failure modes",
            groups=[(s, lookup.stage_modes(s.number)) for s in lookup.stages()],
        )
    if query in ("recovery", "recover", "recovery plan"):
        return ShowRecovery(steps=RECOVERY_STEPS)
    stage_match = _STAGE.match(query)
    if stage_match:
        return _stage(stage_match["n"], raw)
    ref = lookup.parse_mode_id(query)
    if ref is not None:
        mode = lookup.get(ref.id)
        if mode is not None:
            return ShowMode(mode=mode, stage=_stage_of(mode))
        return NotFound(query=raw, suggestions=lookup.did_you_mean(query), reason=_why_no_id(ref))
    modes = lookup.search(query)
    if len(modes) == 1:
        return ShowMode(mode=modes[0], stage=_stage_of(modes[0]))
    if modes:
        return ShowSearch(query=raw, modes=modes)
    return NotFound(
        query=raw,
        suggestions=lookup.did_you_mean(query),
        reason="Try a mode id like `2.2`, or a word such as `owner`, `ceo` or `leak`.",
    )


def _stage_of(mode: FailureMode) -> Stage:
    found = lookup.stage(mode.stage)
    assert found is not None  # every mode's stage is in the atlas
    return found


def _stage(token: str, raw: str) -> Answer:
    ref = lookup.parse_mode_id(f"{_STAGE_WORDS.get(token, token)}.1")
    number = ref.stage if ref is not None else None
    found = lookup.stage(number) if number is not None else None
    if found is None:
        return NotFound(
            query=raw, suggestions=[], reason="The atlas has stages 1 to 4, e.g. `stage 2`."
        )
    return ShowList(
        title=f"Stage {found.number}: {found.name} ({found.window})",
        groups=[(found, lookup.stage_modes(found.number))],
    )


def _why_no_id(ref: lookup.ModeRef) -> str:
    found = lookup.stage(ref.stage)
    if found is None:
        return "The atlas has stages 1 to 4."
    count = len(lookup.stage_modes(ref.stage))
    return f"Stage {ref.stage} ({found.name}) has modes {ref.stage}.1 to {ref.stage}.{count}."
