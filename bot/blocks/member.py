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

from bot.blocks.common import Message, escape, quote_user_text, to_dicts, user_text
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
from bot.services.retention import Erased
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


NAMES_CHARS = 2000  # a list of team names in one reply: the rest of the section fits beside it


def _names(teams: list[str]) -> str:
    shown: list[str] = []
    size = 0
    for index, team in enumerate(teams):
        name = f"*{user_text(team)}*"
        if size + len(name) > NAMES_CHARS:
            return ", ".join(shown) + f" and {len(teams) - index} more"
        shown.append(name)
        size += len(name) + 2
    return ", ".join(shown)


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
    """ "Delete my data", behind a confirm dialog that says what goes."""
    answers = f"all {count} of your stored pulse answers" if count else "your stored data"
    confirm = ConfirmObject(
        title="Delete your data?",
        text=f"This deletes {answers}, your office-hours replies and check-in answers, and "
        "unlinks past pulses from you. Totals already published stay. It cannot be undone.",
        confirm="Delete",
        deny="Keep it",
    )
    return ButtonElement(
        text="Delete my data",
        action_id=ActionId.DELETE_MY_ANSWERS,
        value="all",
        style="danger",
        confirm=confirm,
    )


def export_button() -> ButtonElement:
    """ "Export my data": a JSON file of everything stored about the person, into their DM."""
    return ButtonElement(text="Export my data", action_id=ActionId.EXPORT_MY_DATA, value="json")


def my_data(data: MyData) -> Message:
    """What the app stores about the person, with export and delete buttons."""
    if not data.teams:
        return text_reply("You are not in any team here, and nothing is stored about you.")
    blocks: list[Block] = [HeaderBlock(text="What Adoption Atlas stores about you")]
    lines = []
    for name, role, is_paused, until in data.teams:
        state = ""
        if is_paused:
            state = f" · paused until {_day(until)}" if until else " · paused"
        lines.append(f"*{user_text(name)}*: {ROLE_LABELS[role]}{state}")
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
                        f"*Pulse of {_day(rnd.local_date)}* ({user_text(rnd.team_name)})\n"
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
    if not data.answer_count:
        blocks.append(SectionBlock(text=_md("No answers are stored about you.")))
    blocks.append(ActionsBlock(elements=[export_button(), delete_button(data.answer_count)]))
    blocks.append(ContextBlock(elements=[_md(WHO_SEES + " " + EXPORT_HINT)]))
    return Message(text="What Adoption Atlas stores about you", blocks=to_dicts(blocks))


EXPORT_HINT = f"`{COMMAND} me export` sends you all of it as a file."


def preparing_export() -> Message:
    """The immediate reply to "Export my data": the file follows in the DM."""
    return text_reply(
        "Preparing your file… It arrives in your direct messages with Adoption Atlas in a "
        "moment: everything stored that names you, as JSON."
    )


def export_failed() -> Message:
    """When the file could not be delivered."""
    return text_reply(
        f"Your file could not be delivered just now. Please try `{COMMAND} me export` again "
        "in a few minutes."
    )


def _counted(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def deleted(erased: Erased) -> Message:
    """After the delete button: what went, in counts."""
    done = [
        _counted(erased.answers, "answer", "answers"),
        _counted(erased.rsvps, "office-hours reply", "office-hours replies"),
        _counted(erased.check_in_answers, "check-in answer", "check-in answers"),
    ]
    if erased.memberships_removed:
        done.append(_counted(erased.memberships_removed, "past membership", "past memberships"))
    lines = [f"Deleted {', '.join(done[:-1])} and {done[-1]}."]
    if erased.pulses_unlinked:
        lines.append(
            f"{_counted(erased.pulses_unlinked, 'past pulse is', 'past pulses are')} no longer "
            "linked to you: their totals were already published, so they stay, naming nobody."
        )
    if erased.records_unnamed:
        lines.append(
            f"Your name was taken off {_counted(erased.records_unnamed, 'record', 'records')} "
            "(workflows, self-assessment marks, findings, check-in lists)."
        )
    if erased.pulses_open:
        lines.append(
            "The pulse still open keeps a note that it reached you, with no answers, so that it "
            "is not sent to you twice; delete again after it closes to unlink it too."
        )
    lines.append(
        f"Your membership stays while you are in the team; pause the pulse with `{COMMAND} pause`."
    )
    return text_reply(" ".join(lines))


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


def pulse_started(team: str, created: bool, day: date, closed: bool = False) -> Message:
    """After /atlas pulse now."""
    if closed:
        return text_reply(
            f"*{user_text(team)}*'s pulse for {_day(day)} has already closed, so it is not "
            "reopened: its results stay as they were. Anyone who joined since gets the next "
            f"pulse. You can start a new one with `{COMMAND} pulse now` from tomorrow."
        )
    if created:
        return text_reply(
            f"Started the pulse for *{user_text(team)}*: it goes out within a minute. People in "
            "their quiet hours get it when those end."
        )
    return text_reply(
        f"*{user_text(team)}* already has a pulse for {_day(day)}; anyone who has not had it yet "
        "gets it within a minute."
    )


def not_owner() -> Message:
    """Refusal for owner-only commands."""
    return text_reply(
        f"Only a team's rollout owner can start a pulse. `{COMMAND} me` shows your own answers."
    )
