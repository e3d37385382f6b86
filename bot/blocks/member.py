"""Replies to a person's own commands: pause, resume, me, pulse now, and click refusals."""

from __future__ import annotations

import re
from datetime import date

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks.common import Message, escape, quote_user_text, to_dicts
from bot.ids import COMMAND, ActionId
from bot.parsing import (
    MAX_DATE_CHARS,
    DateProblem,
    date_words,
    days_after,
    latest_pause,
    pause_date_problem,
)
from bot.services.members import MyData
from bot.services.pulse_answers import Refusal
from bot.storage.models import Role

ROLE_LABELS = {
    Role.OWNER: "rollout owner",
    Role.AI_LEAD: "AI lead",
    Role.EXECUTIVE_SPONSOR: "executive sponsor",
    Role.MEMBER: "member",
}
MAX_ROUNDS_SHOWN = 12


def _md(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text)


def _names(teams: list[str]) -> str:
    return ", ".join(f"*{escape(t)}*" for t in teams)


def _answer_text(text: str) -> str:
    # Escape what people could not have typed as markup, but keep user mentions working.
    return re.sub(r"&lt;@([UW][A-Z0-9]+)&gt;", r"<@\1>", escape(text))


def _day(day: date) -> str:
    return day.strftime("%a %-d %b %Y")


def text_reply(text: str) -> Message:
    """A one-section reply."""
    return Message(text=text, blocks=to_dicts([SectionBlock(text=_md(text))]))


def paused(teams: list[str], until: date | None) -> Message:
    """After /atlas pause."""
    if not teams:
        return text_reply(
            "You are not in a team that gets the pulse, so there is nothing to pause."
        )
    when = (
        f"until {_day(until)} (the pulse resumes that day)"
        if until
        else (f"until you type `{COMMAND} resume`")
    )
    return text_reply(f"Paused the pulse for {_names(teams)} {when}. Enjoy the time off.")


def resumed(teams: list[str]) -> Message:
    """After /atlas resume."""
    if not teams:
        return text_reply("Your pulse was not paused; nothing to resume.")
    return text_reply(f"Welcome back: the pulse for {_names(teams)} is on again.")


EXAMPLE_PAUSE_DAYS = 14  # the pause suggested when a date was unreadable: two weeks off


def bad_date(text: str, today: date | None = None) -> Message:
    """A pause date that was refused: what was wrong, which dates work, and one to copy.

    The dates in it are counted from `today` (the person's own date); without it the reply
    names the range and the formats only.
    """
    quoted = quote_user_text(date_words(text), MAX_DATE_CHARS)
    open_ended = f"or just `{COMMAND} pause` to pause until you resume"
    if today is None:
        return text_reply(
            f"I could not use “{quoted}” as the end of a pause. Pick a date after today and at "
            f"most a year ahead, like `{COMMAND} pause until Dec 24`, {open_ended}."
        )
    latest = latest_pause(today)
    example = min(days_after(today, EXAMPLE_PAUSE_DAYS), latest)
    problem = pause_date_problem(text, today)
    if problem is DateProblem.TOO_FAR:
        return text_reply(
            f"You can pause for up to a year: try `{COMMAND} pause until {latest.isoformat()}`, "
            f"{open_ended}."
        )
    if problem is DateProblem.NOT_AHEAD:
        return text_reply(
            f"“{quoted}” is not after today. A pause can end any day from tomorrow to "
            f"{_day(latest)}: try `{COMMAND} pause until {example.isoformat()}`, {open_ended}."
        )
    return text_reply(
        f"I could not read a date in “{quoted}”. Try `{COMMAND} pause until "
        f"{example.isoformat()}` (any date up to {_day(latest)}, also written like "
        f"{example:%b %-d} or {example:%d/%m/%Y}), {open_ended}."
    )


WHO_SEES = (
    "The rollout owner sees totals only, for groups at or above the team's minimum size. Answers "
    "linked to you are confidential, not anonymous: they are stored with your Slack id so that "
    "you can see and delete them here."
)


def delete_button(count: int) -> ButtonElement:
    """ "Delete my answers", behind a confirm dialog that says how many."""
    confirm = ConfirmObject(
        title="Delete your answers?",
        text=f"This deletes all {count} of your stored pulse answers. It cannot be undone.",
        confirm="Delete",
        deny="Keep them",
    )
    return ButtonElement(
        text="Delete my answers",
        action_id=ActionId.DELETE_MY_ANSWERS,
        value="all",
        style="danger",
        confirm=confirm,
    )


def my_data(data: MyData) -> Message:
    """What the app stores about the person, with a delete button."""
    if not data.teams:
        return text_reply("You are not in any team here, and nothing is stored about you.")
    blocks: list[Block] = [HeaderBlock(text="What Adoption Atlas stores about you")]
    lines = []
    for name, role, is_paused, until in data.teams:
        state = ""
        if is_paused:
            state = f" · paused until {_day(until)}" if until else " · paused"
        lines.append(f"*{escape(name)}*: {ROLE_LABELS[role]}{state}")
    blocks.append(SectionBlock(text=_md("\n".join(lines))))
    for rnd in data.rounds[:MAX_ROUNDS_SHOWN]:
        rows = [f"• {escape(a.question)} → {_answer_text(a.answer)}" for a in rnd.answers]
        if rnd.confidential_answered:
            rows.append(
                "• plus a confidential answer, counted without your name (it cannot be "
                "shown or deleted, because it is not linked to you)"
            )
        blocks.append(
            SectionBlock(
                text=_md(
                    (
                        f"*Pulse of {_day(rnd.local_date)}* ({escape(rnd.team_name)})\n"
                        + "\n".join(rows)
                    )[:3000]
                )
            )
        )
    if len(data.rounds) > MAX_ROUNDS_SHOWN:
        blocks.append(
            ContextBlock(
                elements=[_md(f"…and {len(data.rounds) - MAX_ROUNDS_SHOWN} older pulses.")]
            )
        )
    if data.answer_count:
        blocks.append(ActionsBlock(elements=[delete_button(data.answer_count)]))
    else:
        blocks.append(SectionBlock(text=_md("No answers are stored about you.")))
    blocks.append(ContextBlock(elements=[_md(WHO_SEES)]))
    return Message(text="What Adoption Atlas stores about you", blocks=to_dicts(blocks))


def deleted(count: int) -> Message:
    """After the delete button."""
    if count == 0:
        return text_reply("There were no stored answers to delete.")
    return text_reply(
        f"Deleted {count} stored answers. Future pulses will ask you again as "
        "usual; pause them with `/atlas pause`."
    )


REFUSALS = {
    Refusal.NOT_YOURS: "This pulse was sent to someone else, so your click did not change it. "
    "Your own pulse arrives in your DMs.",
    Refusal.CLOSED: "This pulse has closed, so answers can no longer change. Thank you; the "
    "next one comes next week.",
    Refusal.UNKNOWN: "That pulse is no longer available, so nothing was changed.",
    Refusal.INVALID: "That answer did not fit the question, so nothing was changed. Please try "
    "again.",
    Refusal.ALREADY_CONFIDENTIAL: "Your confidential answer was already counted. Because it is "
    "not linked to you, it cannot be changed.",
}


def refusal(reason: Refusal) -> str:
    """The polite ephemeral text for a click that changed nothing."""
    return REFUSALS[reason]


def pulse_started(team: str, created: bool, day: date) -> Message:
    """After /atlas pulse now."""
    if created:
        return text_reply(
            f"Started the pulse for *{escape(team)}*: it goes out within a minute. People in "
            "their quiet hours get it when those end."
        )
    return text_reply(
        f"*{escape(team)}* already has a pulse for {_day(day)}; anyone who has not had it yet "
        "gets it within a minute."
    )


def not_owner() -> Message:
    """Refusal for owner-only commands."""
    return text_reply(
        f"Only a team's rollout owner can start a pulse. `{COMMAND} me` shows your own answers."
    )
