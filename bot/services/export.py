"""The team's weekly figures as CSV: one row per closed round, aggregates only.

A round with fewer respondents than the team's minimum group size, or whose figures changed
since they were shown by fewer people than that (`atlas.published`), keeps its date and the
reason in `suppressed`; every other cell of it is blank. No user id is ever written: the go-to
question (whose answers are people) has no column at all.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

from sqlalchemy.orm import Session

from atlas.questions import OTHER_TOOL, QUESTIONS, Kind
from bot.blocks import home as home_blocks
from bot.outbound import Caller, CallResult, upload_to_dm
from bot.services import trend
from bot.services.trend import RoundFigures
from bot.storage import reports
from bot.storage import teams as team_repo
from bot.storage.db import Database

FIXED = ("week", "invited", "responded", "response_rate")
SUPPRESSED = "suppressed"
# Stored as counts per round only (see ConfidentialTally): their columns come from the tallies.
CONFIDENTIAL = frozenset(q.id for q in QUESTIONS if q.confidential)


def suppressed_note(min_group_size: int) -> str:
    """What the `suppressed` column says for a round below the floor."""
    return f"below minimum group size ({min_group_size})"


def withheld_note(min_group_size: int) -> str:
    """What the `suppressed` column says for a round whose figures changed by too few people."""
    return (
        "changed since it was published by fewer people than the minimum group size "
        f"({min_group_size}); not shown"
    )


def team_csv(db: Database, team_id: int, now: datetime) -> str:
    """Every closed round of the team up to `now`, as CSV text with a stable header."""
    with db.unit_of_work() as session:
        team = team_repo.get(session=session, team_id=team_id)
        if team is None:
            raise LookupError(f"No team {team_id}.")
        floor = team.min_group_size
        rounds = reports.closed_rounds(
            session=session, team_id=team_id, until=trend.local_today(team, now)
        )
        figures = trend.figures(session, rounds, floor)
        columns = _columns(session, team_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*FIXED, *(f"{q}:{o}" for q, o in columns), SUPPRESSED])
    for figure in figures:
        writer.writerow(_row(figure, columns, floor))
    return out.getvalue()


class NotOwner(Exception):
    """Only a team's rollout owner (or a workspace admin) may export its figures."""


def send_owned(
    *,
    db: Database,
    caller: Caller,
    slack_team_id: str,
    user_id: str,
    team_id: int | None,
    now: datetime,
) -> CallResult:
    """Upload the team's CSV into the person's DM if they own the team (`NotOwner` if not)."""
    from bot.services import owner

    allowed = dict(owner.owned(db=db, slack_team_id=slack_team_id, user_id=user_id))
    if team_id not in allowed:
        raise NotOwner(user_id)
    return send(
        db=db, caller=caller, team_id=team_id, team_name=allowed[team_id], user_id=user_id, now=now
    )


def send(
    *, db: Database, caller: Caller, team_id: int, team_name: str, user_id: str, now: datetime
) -> CallResult:
    """Build the team's CSV and upload it into the person's DM."""
    return upload_to_dm(
        caller,
        user_id,
        content=team_csv(db, team_id, now),
        filename=filename(team_name, now.date()),
        title=home_blocks.export_title(team_name),
        initial_comment=home_blocks.export_comment(team_name),
    )


def filename(team_name: str, day: date) -> str:
    """A file name for a team's export: letters, digits and dashes only."""
    slug = re.sub(r"[^a-z0-9]+", "-", team_name.casefold()).strip("-")[:40] or "team"
    return f"adoption-atlas-{slug}-{day.isoformat()}.csv"


def _columns(session: Session, team_id: int) -> list[tuple[str, str]]:
    """(question id, option key) per count column: every choice question, in bank order.

    The tool question's options are every tool the team ever listed (retired ones too, so old
    rows keep their columns) plus "other"; people-picking questions have none.
    """
    columns = []
    for q in QUESTIONS:
        if q.kind not in (Kind.SINGLE, Kind.MULTI):
            continue
        keys = _tool_keys(session, team_id) if q.team_options else [o.key for o in q.options]
        columns += [(q.id, key) for key in keys]
    return columns


def _tool_keys(session: Session, team_id: int) -> list[str]:
    active = [key for key, _ in team_repo.tools(session=session, team_id=team_id)]
    retired = sorted(set(team_repo.all_tools(session=session, team_id=team_id)) - set(active))
    return [*active, *retired, OTHER_TOOL]


def _row(figure: RoundFigures, columns: list[tuple[str, str]], floor: int) -> list[str]:
    week = figure.local_date.isoformat()
    if not trend.reportable(figure, floor):
        note = withheld_note(floor) if figure.withheld else suppressed_note(floor)
        return [week, *([""] * (len(FIXED) - 1 + len(columns))), note]
    rate = f"{min(1.0, figure.respondents / figure.invited):.3f}" if figure.invited else ""
    cells = [week, str(figure.invited), str(figure.respondents), rate]
    too_few: list[str] = []
    for question_id, key in columns:
        if question_id not in figure.asked:
            cells.append("")  # not asked that week: blank, not zero
            continue
        tally = trend.question_tally(figure, question_id, floor)
        if tally is None:  # answered by fewer than the floor: blank, like a whole small round
            if question_id not in too_few:
                too_few.append(question_id)
            cells.append("")
            continue
        cells.append(str(tally.get(key, 0)))
    note = f"{' '.join(too_few)} {suppressed_note(floor)}" if too_few else ""
    return [*cells, note]
