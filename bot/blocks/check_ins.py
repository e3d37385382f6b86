"""The owner's weekly check-in DM: two questions as buttons, and what was recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks.common import Message, to_dicts, user_text
from bot.ids import ActionId

ON_TRACK = (("yes", "Yes"), ("partly", "Partly"), ("no", "No"))
SHIPPED = (("yes", "Yes"), ("no", "No"))
WHY = (
    "The diagnosis reads these answers: check-ins left unanswered week after week show up as "
    'failure mode 1.1, and "nothing shipped" after day 30 as 2.1.'
)
REFUSALS = {
    "closed": "This check-in is for the week of {week}, and a newer one has gone out since: "
    "please answer that one. Nothing was changed.",
    "not_yours": "This check-in is for the team's rollout owner; nothing was changed.",
    "unknown": "This check-in is no longer on record; nothing was changed.",
}


@dataclass(frozen=True)
class CheckInView:
    """One week's check-in as the owner sees it."""

    check_in_id: int
    team_id: int
    team: str
    week_of: date
    on_track: str | None = None  # "yes" / "partly" / "no"
    shipped: bool | None = None
    answered_by: str | None = None
    late: bool = False  # answered after its week ended


def _md(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text)


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[_md(text)])


def block_id(check_in_id: int, question: str) -> str:
    """The block_id of one question's buttons."""
    return f"check_in|{check_in_id}|{question}"


def _buttons(
    view: CheckInView, question: str, action: ActionId, options: tuple[tuple[str, str], ...]
) -> ActionsBlock:
    chosen = view.on_track if question == "on_track" else _yes_no(view.shipped)
    return ActionsBlock(
        block_id=block_id(view.check_in_id, question),
        elements=[
            ButtonElement(
                text=label,
                action_id=f"{action}.{key}",
                value=str(view.check_in_id),
                style="primary" if key == chosen else None,
            )
            for key, label in options
        ],
    )


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _recorded(view: CheckInView) -> str:
    track = dict(ON_TRACK).get(view.on_track or "", "—")
    shipped = dict(SHIPPED).get(_yes_no(view.shipped) or "", "—")
    who = f" by <@{view.answered_by}>" if view.answered_by else ""
    text = f"*Recorded{who}:* on track: {track} · shipped this week: {shipped}."
    if view.late:
        text += " Recorded after the week ended; late answers still count as answered."
    return text + " You can change it until next week's check-in goes out."


def check_in(view: CheckInView) -> Message:
    """The check-in DM in its current state."""
    blocks: list[Block] = [
        HeaderBlock(text="Your weekly check-in"),
        SectionBlock(
            text=_md(
                f"Two quick questions about *{user_text(view.team)}* for the week of "
                f"{view.week_of:%a %-d %b}. Any owner's answer counts."
            )
        ),
        SectionBlock(text=_md("*Is the rollout on track?*")),
        _buttons(view, "on_track", ActionId.CHECK_IN_ON_TRACK, ON_TRACK),
        SectionBlock(text=_md("*Did anything ship this week?*")),
        _buttons(view, "shipped", ActionId.CHECK_IN_SHIPPED, SHIPPED),
    ]
    if view.answered_by is not None:
        blocks.append(_context(_recorded(view)))
    if view.shipped:
        blocks += [
            SectionBlock(
                text=_md("Add what shipped to the workflow registry so the diagnosis counts it.")
            ),
            ActionsBlock(
                block_id=f"check_in|{view.check_in_id}|registry",
                elements=[
                    ButtonElement(
                        text="Add it to the workflow registry",
                        action_id=ActionId.WORKFLOW_ADD,
                        value=str(view.team_id),
                    )
                ],
            ),
        ]
    blocks.append(_context(WHY))
    text = f"Weekly check-in for {user_text(view.team)}: is the rollout on track? Anything shipped?"
    return Message(text=text[:3000], blocks=to_dicts(blocks))


def refusal(reason: str, week_of: date | None = None) -> str:
    """The polite ephemeral text for a click that changed nothing."""
    week = f"{week_of:%a %-d %b}" if week_of else "an earlier week"
    return REFUSALS[reason].format(week=week)


def metadata(check_in_id: int) -> dict[str, Any]:
    """Message metadata that lets a DM whose answer was lost be found in the history."""
    return {"event_type": "atlas_check_in", "event_payload": {"check_in_id": check_in_id}}
