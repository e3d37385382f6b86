"""The App Home tab: a person's pulse, answers and who sees what; each owned team's figures.

Built to Slack's limits for any team size: at most 100 blocks, every text within its element's
limit. Lists are capped and end with "and N more" instead of overflowing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from atlas import lookup
from atlas.diagnosis.model import Status
from atlas.questions import QUESTIONS
from bot.blocks.common import MAX_BLOCKS_PER_VIEW, MAX_SECTION_TEXT, attribution, escape, user_text
from bot.blocks.diagnosis import RECOVERY_DAYS
from bot.blocks.member import ROLE_LABELS, delete_button
from bot.ids import COMMAND, ActionId
from bot.services.home import FindingLine, HomeData, Membership, OwnerTeam
from bot.services.members import StoredRound
from bot.services.trend import TREND_WEEKS, WeekStats
from bot.storage.models import Role

BELOW_FLOOR = "below minimum group size"
MAX_TEAM_LINES = 10  # a person's teams listed in "Your weekly pulse"
EVIDENCE_CHARS = 220  # each finding's evidence, clipped, on the Home tab
HEADER_CHARS = 150
NAMED_ROLES = (Role.AI_LEAD, Role.EXECUTIVE_SPONSOR)
SPARKS = "▁▂▃▄▅▆▇█"
# Short names of the questions, for the compact list of a person's own answers.
SHORT = {
    "ai_frequency": "AI use",
    "ai_tools": "tools",
    "time_saved": "time saved",
    "go_to_person": "go-to person",
    "training_fit": "training",
    "prompt_source": "prompts",
    "first_heard": "first heard",
    "output_problems": "output problems",
    "whats_in_it": "what is in it for you",
}
_ORDER = {q.id: i for i, q in enumerate(QUESTIONS)}


def _md(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text)


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=_md(_clip(text, MAX_SECTION_TEXT)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[_md(_clip(text, MAX_SECTION_TEXT))])


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _day(day: date, today: date | None = None) -> str:
    # With the year when it is not this year's: "Fri 31 Dec 9999", not "Fri 31 Dec".
    if today is not None and day.year != today.year:
        return day.strftime("%a %-d %b %Y")
    return day.strftime("%a %-d %b")


def _pct(share: float) -> str:
    return f"{int(share * 100 + 0.5)}%"


def _names(names: Sequence[str], limit: int = 1000) -> str:
    return _clip(", ".join(f"*{user_text(n)}*" for n in names), limit)


def home_view(data: HomeData) -> dict[str, Any]:
    """The Home tab for one person, as a validated view."""
    head: list[Block] = [HeaderBlock(text="Adoption Atlas")]
    if data.memberships:
        head += _pulse_blocks(data) + _answer_blocks(data) + [_privacy(data)]
    else:
        head += _not_in_a_team()
    footer = _footer()
    blocks = head
    left_out = []
    for team in data.owned:
        chunk = owner_blocks(team)
        # Keep room for the footer and one "and N more" line.
        if len(blocks) + len(chunk) + len(footer) + 1 > MAX_BLOCKS_PER_VIEW:
            left_out.append(team.name)
            continue
        blocks = blocks + chunk
    more = left_out + list(data.more_owned)
    if more:
        blocks.append(
            _context(
                f"…and {len(more)} more {'team' if len(more) == 1 else 'teams'} you own: "
                f"{_names(more)}. `{COMMAND} status` shows each one's diagnosis."
            )
        )
    blocks += footer
    if len(blocks) > MAX_BLOCKS_PER_VIEW:
        raise ValueError("home view exceeds Slack's block limit")
    return View(type="home", blocks=blocks).to_dict()


# --- everyone ----------------------------------------------------------------------------------
def _pulse_line(m: Membership) -> str:
    name = f"*{user_text(m.team_name)}*"
    if not m.pulse_on:
        return f"{name}: the team's pulse is off"
    when = (
        f"next pulse {m.next_pulse:%a %-d %b at %H:%M} (your time, {m.zone_name})"
        if m.next_pulse
        else "no pulse planned in the next few weeks"
    )
    if m.paused and m.paused_until is None:
        return f"{name}: paused until you resume it"
    if m.paused:
        return f"{name}: paused until {_day(m.paused_until, m.today)}; {when}"
    return f"{name}: {when}"


def _pulse_blocks(data: HomeData) -> list[Block]:
    lines = [f"• {_pulse_line(m)}" for m in data.memberships[:MAX_TEAM_LINES]]
    if len(data.memberships) > MAX_TEAM_LINES:
        lines.append(f"…and {len(data.memberships) - MAX_TEAM_LINES} more teams")
    button = (
        ButtonElement(text="Resume my pulse", action_id=ActionId.HOME_RESUME, value="resume")
        if data.paused
        else ButtonElement(text="Pause my pulse", action_id=ActionId.HOME_PAUSE, value="pause")
    )
    text = _clip("*Your weekly pulse*\n" + "\n".join(lines), MAX_SECTION_TEXT)
    return [
        SectionBlock(text=_md(text), accessory=button),
        _context(
            f"Going away? `{COMMAND} pause until Dec 24` pauses until a date, the button until "
            f"you resume; `{COMMAND} resume` turns it back on. Pausing covers all your teams."
        ),
    ]


def _answer_text(text: str) -> str:
    # Escape what people could not have typed as markup, but keep user mentions working.
    return re.sub(r"&lt;@([UW][A-Z0-9]+)&gt;", r"<@\1>", escape(text))


def _round_line(rnd: StoredRound) -> str:
    answers = sorted(rnd.answers, key=lambda a: _ORDER.get(a.question_id, len(_ORDER)))
    parts = [
        f"{SHORT.get(a.question_id) or escape(a.question)}: {_answer_text(a.answer)}"
        for a in answers
    ]
    if rnd.confidential_answered:
        parts.append("a confidential answer, counted without your name")
    return f"• *{_day(rnd.local_date)}* ({user_text(rnd.team_name)}): " + " · ".join(parts)


def _answer_blocks(data: HomeData) -> list[Block]:
    if not data.recent:
        return [_section("*Your recent answers*\nNo answers are stored about you.")]
    lines = [_clip(_round_line(r), 600) for r in data.recent]
    if data.older_rounds:
        lines.append(
            f"…and {data.older_rounds} older rounds: `{COMMAND} me` shows everything stored."
        )
    if not data.answer_count:
        lines.append(
            "No answers linked to you are stored. Confidential answers were never linked to you, "
            "so there is nothing of yours in them to delete."
        )
    blocks: list[Block] = [_section("*Your recent answers*\n" + "\n".join(lines))]
    if data.answer_count:
        blocks.append(ActionsBlock(elements=[delete_button(data.answer_count)]))
    return blocks


def _privacy(data: HomeData) -> SectionBlock:
    floors = {m.min_group_size for m in data.memberships}
    if len(floors) == 1:
        floor = f"at least {floors.pop()} people (the team's minimum group size)"
    else:
        per_team = ", ".join(
            f"{user_text(m.team_name)}: {m.min_group_size}" for m in data.memberships[:5]
        )
        floor = f"at least the team's minimum group size ({_clip(per_team, 300)})"
    lines = [
        "*What the rollout owner can and cannot see*",
        f"• *Can:* totals for the team, only for rounds where {floor} answered. Smaller rounds "
        f"show as “{BELOW_FLOOR}”, never as a number.",
        "• *Cannot:* who answered what. Your answers are stored with your Slack id so that you "
        "can see and delete them here, which makes them confidential, not anonymous.",
        "• *Confidential questions* (such as pasting data into unapproved tools) are stored only "
        "as counts per round, with no link to you at all.",
        "• *Named roles:* the AI lead's and the executive sponsor's own answer to “how often did "
        "you use AI” is visible to the owner, because their use is itself the signal. Their "
        "other answers stay confidential like everyone's.",
        "• *Workflow owners:* whether you use AI at all (your usage answer) feeds one check of "
        "the team's workflow registry: does each workflow's owner use it.",
    ]
    for m in data.memberships[:5]:
        if m.role in NAMED_ROLES:
            lines.append(
                f"You are the {ROLE_LABELS[m.role]} of *{user_text(m.team_name)}*, so the "
                "named-role line applies to you there."
            )
    return _section("\n".join(lines))


def _not_in_a_team() -> list[Block]:
    return [
        _section(
            "You are not in a team that Adoption Atlas follows yet, so nothing is stored about "
            "you and no pulse comes your way.\n\nA team is the people of a channel or a user "
            "group. Once it is set up, each person gets a short weekly pulse in their DMs (a few "
            "clicks), and the rollout owner sees whether AI use is taking hold, as totals only, "
            "with the known failure mode named when it stalls."
        ),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Set up a team", action_id=ActionId.SETUP_OPEN, value="", style="primary"
                )
            ]
        ),
    ]


def _footer() -> list[Block]:
    return [
        DividerBlock(),
        _section(
            f"*Using `{COMMAND}`* (answers only you): `{COMMAND} 2.2` one failure mode · "
            f"`{COMMAND} list` all 25 · `{COMMAND} recovery` the way out of a stall · "
            f"`{COMMAND} me` what is stored about you · `{COMMAND} status` your team's "
            f"diagnosis · `{COMMAND} help` everything."
        ),
        attribution(),
    ]


# --- owners ------------------------------------------------------------------------------------
def owner_blocks(team: OwnerTeam) -> list[Block]:
    """One owned team: figures, concentration, findings, recovery, trend, and its buttons."""
    blocks: list[Block] = [
        DividerBlock(),
        HeaderBlock(text=f"{user_text(team.name, HEADER_CHARS - 13)} · owner view"),
        _section(_figures_text(team)),
        _section(_concentration_text(team)),
        *_finding_blocks(team),
    ]
    if team.recovery_day is not None:
        stages = ", ".join(str(s) for s in team.recovery_stages)
        blocks.append(
            _context(
                f"*Recovery window:* day {team.recovery_day} of {RECOVERY_DAYS} (stage "
                f"{stages}). `{COMMAND} recovery` shows the five steps."
            )
        )
    blocks.append(_section(_trend_text(team.trend, team.min_group_size)))
    value = str(team.team_id)
    blocks.append(
        ActionsBlock(
            elements=[
                ButtonElement(text="Edit setup", action_id=ActionId.SETUP_OPEN, value=value),
                ButtonElement(text="Add a workflow", action_id=ActionId.WORKFLOW_ADD, value=value),
                ButtonElement(text="Export CSV", action_id=ActionId.HOME_EXPORT, value=value),
            ]
        )
    )
    return blocks


def _figures_text(team: OwnerTeam) -> str:
    floor = team.min_group_size
    lines = []
    if team.member_count < floor:
        lines.append(
            f"The team has {team.member_count} members, below its minimum group size of "
            f"{floor}, so no aggregate can be shown."
        )
    latest = team.latest
    if latest is None:
        lines.append(f"*Latest round:* none has closed in the last {TREND_WEEKS} weeks.")
    elif latest.withheld:
        lines.append(
            f"*Latest round* ({_day(latest.week)}): changed since it was published by fewer "
            f"people than the minimum group size ({floor}), so its numbers are not shown."
        )
    elif not latest.reportable:
        lines.append(
            f"*Latest round* ({_day(latest.week)}): {BELOW_FLOOR} ({floor}), so its numbers "
            "are not shown."
        )
    else:
        rate = f" ({_pct(latest.response_rate)})" if latest.response_rate is not None else ""
        lines.append(
            f"*Latest round* ({_day(latest.week)}): {latest.respondents} of {latest.invited} "
            f"people answered{rate}."
        )
    if team.usage:
        answered = sum(s.count for s in team.usage)
        parts = " · ".join(f"{s.label} {s.count} ({_pct(s.share)})" for s in team.usage)
        lines.append(
            f"*Weekly AI use* (round of {_day(team.usage_round)}, {answered} answers): {parts}"
        )
    else:
        lines.append(
            f"*Weekly AI use:* no round in the last {TREND_WEEKS} weeks had {floor} or more "
            "usage answers."
        )
    return "\n".join(lines)


def _concentration_text(team: OwnerTeam) -> str:
    lines = ["*How concentrated use is*"]
    if team.go_to:
        c = team.go_to
        lines.append(
            f"• Go-to person: the most-named person gets {c.top} of {c.total} go-to mentions "
            f"({_pct(c.share)}), round of {_day(c.round_date)}. Nobody is named here."
        )
    else:
        lines.append(f"• Go-to person: fewer than {team.min_group_size} go-to answers so far.")
    if team.tools:
        c = team.tools
        lines.append(
            f"• Tools: {user_text(c.label or '')} is used by {c.top} of {c.total} people who named "
            f"a tool ({_pct(c.share)}), round of {_day(c.round_date)}."
        )
    else:
        lines.append(f"• Tools: fewer than {team.min_group_size} tool answers so far.")
    return "\n".join(lines)


def _finding_line(f: FindingLine) -> str:
    word = "detected" if f.status is Status.DETECTED else "watch"
    evidence = escape(_clip(" ".join(f.evidence.split()), EVIDENCE_CHARS))
    return f"`{f.mode_id}` *{escape(f.title)}* ({word}): {evidence}"


def _finding_blocks(team: OwnerTeam) -> list[Block]:
    if not team.diagnosed:
        return [_context("No diagnosis yet: it runs when each weekly pulse closes.")]
    if not team.findings:
        return [_section("*Findings:* no failure mode is detected or on watch.")]
    blocks: list[Block] = []
    for number in sorted({f.stage for f in team.findings}):
        stage = lookup.stage(number)
        title = f"*Stage {number} · {stage.name if stage else ''}*"
        lines = [_finding_line(f) for f in team.findings if f.stage == number]
        blocks.append(_section(_fit_lines(title, lines, f"`{COMMAND} status` shows them all")))
    return blocks


def _fit_lines(title: str, lines: list[str], rest: str) -> str:
    """The title and as many lines as fit in one section, then "and N more"."""
    text = title
    for i, line in enumerate(lines):
        tail = f"\n…and {len(lines) - i - 1} more: {rest}." if i < len(lines) - 1 else ""
        if len(text) + 1 + len(line) + len(tail) > MAX_SECTION_TEXT - 60:
            return f"{text}\n…and {len(lines) - i} more: {rest}."
        text += "\n" + line
    return text


def _spark(values: list[float | None]) -> str:
    return "".join(
        "·" if v is None else SPARKS[min(len(SPARKS) - 1, int(v * len(SPARKS)))] for v in values
    )


def _trend_text(weeks: Sequence[WeekStats], floor: int) -> str:
    title = f"*The last {TREND_WEEKS} weeks*"
    if not weeks:
        return f"{title}\nNo round has closed yet."
    rows = [f"{'Week of':<8} {'Response':>9} {'Using AI':>9}"]
    for w in weeks:
        label = w.week.strftime("%-d %b")
        if not w.reportable:
            rows.append(f"{label:<8} {BELOW_FLOOR}")
            continue
        rate = _pct(w.response_rate) if w.response_rate is not None else "–"
        using = _pct(w.using_ai) if w.using_ai is not None else "–"
        rows.append(f"{label:<8} {rate:>9} {using:>9}")
    spark = (
        f"Response rate `{_spark([w.response_rate for w in weeks])}` · "
        f"using AI `{_spark([w.using_ai for w in weeks])}` (· = {BELOW_FLOOR} ({floor}) or "
        "too few usage answers)"
    )
    return f"{title}\n{spark}\n```\n" + "\n".join(rows) + "\n```"


# --- the CSV export ----------------------------------------------------------------------------
EXPORT_REFUSED = (
    "Only the team's rollout owner (or a workspace admin in the team) can export its figures, "
    "so no file was made."
)


def export_title(team: str) -> str:
    """The uploaded file's title."""
    return _clip(f"{team}: weekly pulse figures", 200)


def export_comment(team: str) -> str:
    """The note that comes with the uploaded CSV."""
    return (
        f"Weekly pulse figures for *{user_text(team)}*, one row per closed round. Rounds below the "
        "minimum group size have blank cells and say so in the `suppressed` column; no person's "
        "answers or ids are in the file."
    )


def export_failed(error_id: str) -> str:
    """When Slack would not take the upload."""
    return (
        f"Sorry, the CSV export could not be uploaded (error id `{error_id}`). Please try again "
        "in a moment."
    )
