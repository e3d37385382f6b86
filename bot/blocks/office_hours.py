"""Office hours in the team's channel: the weekly announcement, the reminder, and the replies
to RSVP and "I'm here" clicks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
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
from bot.scheduling.calendar import zone

BRING = (
    "*Bring one real output* (a draft, a prompt, a result) and we will look at it together: "
    "what worked, what to try next."
)
REFUSALS = {
    "over": "These office hours are over ({when}). The next ones are announced in the channel.",
    "unknown": "These office hours are not on the calendar any more; nothing was changed.",
}


@dataclass(frozen=True)
class SessionView:
    """One week's office hours as people see them."""

    session_id: int
    team: str
    starts_at: datetime  # aware
    minutes: int
    timezone: str  # the team's IANA zone
    going: int = 0  # said they are coming
    here: int = 0  # said they were there
    live: bool = False  # the announcement went out late, so it carries "I'm here" too

    @property
    def ends_at(self) -> datetime:
        """When the session ends."""
        return self.starts_at + timedelta(minutes=self.minutes)


def _md(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text)


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[_md(text)])


def team_time(view: SessionView) -> str:
    """The session's date and hours in the team's zone: "Thu 5 Mar, 15:00–16:00 EST"."""
    tz = zone(view.timezone)
    start, end = view.starts_at.astimezone(tz), view.ends_at.astimezone(tz)
    return f"{start:%a %-d %b}, {start:%H:%M}–{end:%H:%M} {start:%Z}"


def reader_time(at: datetime, fallback: str, fmt: str = "{date_short_pretty} at {time}") -> str:
    """A time each reader's Slack shows in their own zone, with a fallback for old clients."""
    return f"<!date^{int(at.timestamp())}^{fmt}|{fallback}>"


def _when(view: SessionView) -> str:
    """The team's time, then the reader's own."""
    return (
        f"*{team_time(view)}* (that is {reader_time(view.starts_at, team_time(view))} "
        "where you are)"
    )


def _rsvp_button(session_id: int, text: str = "I'll be there") -> ButtonElement:
    return ButtonElement(
        text=text, action_id=ActionId.OFFICE_HOURS_RSVP, value=str(session_id), style="primary"
    )


def _here_button(session_id: int) -> ButtonElement:
    return ButtonElement(
        text="I'm here", action_id=ActionId.OFFICE_HOURS_HERE, value=str(session_id)
    )


def _counts(view: SessionView, *, here_only: bool = False) -> str:
    here = f"{view.here} here" if view.here else ""
    if here_only:
        return here or "Click when you join, so the team can see office hours are used."
    going = f"{view.going} coming" if view.going else "Nobody has said yet: be the first."
    return f"{going} · {here}" if here else going


def block_id(session_id: int) -> str:
    """The block_id of a session's buttons."""
    return f"office_hours|{session_id}"


def announcement(view: SessionView) -> Message:
    """The weekly post in the channel, with the RSVP count as it stands."""
    buttons = [_rsvp_button(view.session_id)]
    if view.live:
        buttons.append(_here_button(view.session_id))
    blocks: list[Block] = [
        HeaderBlock(text="AI office hours"),
        SectionBlock(
            text=_md(
                f"Office hours for *{user_text(view.team)}*: {_when(view)}, right here in this "
                "channel."
            )
        ),
        SectionBlock(text=_md(BRING)),
        ActionsBlock(block_id=block_id(view.session_id), elements=buttons),
        _context(_counts(view)),
    ]
    text = (
        f"Office hours for {user_text(view.team)}: {team_time(view)}. Bring one real output "
        "(a draft, a prompt, a result) to look at together."
    )
    return Message(text=text[:3000], blocks=to_dicts(blocks))


def reminder(view: SessionView, now: datetime) -> Message:
    """The short post just before the start (or, when late, while it is on)."""
    tz = zone(view.timezone)
    if now < view.starts_at:
        minutes = max(1, round((view.starts_at - now).total_seconds() / 60))
        start = view.starts_at.astimezone(tz)
        fallback = f"{start:%H:%M %Z}"
        line = (
            f"Office hours start in {minutes} minutes "
            f"({reader_time(view.starts_at, fallback, '{time}')}). "
        )
        text = f"Office hours start in {minutes} minutes ({fallback})."
    else:
        end = view.ends_at.astimezone(tz)
        fallback = f"{end:%H:%M %Z}"
        line = f"Office hours are on now, until {reader_time(view.ends_at, fallback, '{time}')}. "
        text = f"Office hours are on now, until {fallback}."
    blocks: list[Block] = [
        SectionBlock(text=_md(line + "Bring one real output: a draft, a prompt, a result.")),
        ActionsBlock(block_id=block_id(view.session_id), elements=[_here_button(view.session_id)]),
        _context(_counts(view, here_only=True)),
    ]
    return Message(text=text, blocks=to_dicts(blocks))


def rsvp_confirmed(view: SessionView) -> Message:
    """Ephemeral, to the person who clicked "I'll be there"."""
    text = (
        f"You're on the list for office hours, {_when(view)}. Bring one real output (a draft, a "
        "prompt, a result) to look at together."
    )
    blocks: list[Block] = [
        SectionBlock(text=_md(text)),
        ActionsBlock(
            block_id=block_id(view.session_id),
            elements=[
                ButtonElement(
                    text="Can't make it after all",
                    action_id=ActionId.OFFICE_HOURS_CANCEL,
                    value=str(view.session_id),
                )
            ],
        ),
    ]
    return Message(
        text=f"You're on the list for office hours, {team_time(view)}.", blocks=to_dicts(blocks)
    )


def rsvp_cancelled(view: SessionView) -> Message:
    """Ephemeral, after "Can't make it after all", with a way back."""
    text = f"Taken you off the list for {team_time(view)}. If plans change, you are still welcome."
    blocks: list[Block] = [
        SectionBlock(text=_md(text)),
        ActionsBlock(
            block_id=block_id(view.session_id),
            elements=[_rsvp_button(view.session_id, "I'll be there after all")],
        ),
    ]
    return Message(text=text, blocks=to_dicts(blocks))


def here_recorded(view: SessionView) -> Message:
    """Ephemeral, after "I'm here"."""
    text = "Thanks for coming: you're counted as here. Share your output when there is a gap."
    return Message(text=text, blocks=to_dicts([SectionBlock(text=_md(text))]))


def refusal(reason: str, view: SessionView | None) -> Message:
    """Ephemeral, for a click that changed nothing."""
    when = team_time(view) if view is not None else "an earlier week"
    text = REFUSALS[reason].format(when=when)
    return Message(text=text, blocks=to_dicts([SectionBlock(text=_md(text))]))


def metadata(kind: str, session_id: int) -> dict[str, Any]:
    """Message metadata that lets a post whose answer was lost be found in the channel."""
    return {
        "event_type": "atlas_office_hours",
        "event_payload": {"session_id": session_id, "kind": kind},
    }
