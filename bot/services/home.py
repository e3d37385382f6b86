"""What a person's App Home shows: their pulse and answers, and each team they own, as plain data.

Owner figures are aggregates of closed rounds at or above the team's minimum group size; a
round below it contributes its date and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from atlas import floor as group_floor
from atlas import lookup
from atlas.diagnosis.model import Finding, Status
from atlas.questions import question
from bot.scheduling.calendar import WorkCalendar, parse_days, personal_due, pulse_dates, zone
from bot.services import members, owner, trend
from bot.services.members import StoredRound
from bot.services.trend import RoundFigures, WeekStats
from bot.storage import diagnosis as diagnosis_repo
from bot.storage import teams as team_repo
from bot.storage.db import Database
from bot.storage.models import Member, Role, Team

RECENT_ROUNDS = 4  # a person's own answers shown on the Home tab
MAX_TEAMS_IN_FULL = 6  # owned teams shown in full; the rest are named (the tab holds 100 blocks)
LOOKAHEAD_DAYS = 42  # how far ahead the next pulse is looked for (holidays can skip weeks)
TOOLS = "ai_tools"


@dataclass(frozen=True)
class Membership:
    """One of the person's teams, from their side."""

    team_name: str
    role: Role
    min_group_size: int
    pulse_on: bool
    paused: bool
    paused_until: date | None
    next_pulse: datetime | None  # in the person's own zone; None while paused or off
    zone_name: str
    today: date | None = None  # the team's date now, to say a far date's year


@dataclass(frozen=True)
class Share:
    """One answer option's share of a question's answers."""

    label: str
    count: int
    share: float


@dataclass(frozen=True)
class Concentration:
    """How much of one kind of answer goes to the single most common choice."""

    top: int
    total: int
    label: str | None  # a tool's name; None for the go-to person, who is never named
    round_date: date

    @property
    def share(self) -> float:
        """The top choice's share."""
        return self.top / self.total if self.total else 0.0


@dataclass(frozen=True)
class FindingLine:
    """One detected or watched failure mode, with its evidence."""

    mode_id: str
    stage: int
    title: str
    status: Status
    evidence: str


@dataclass(frozen=True)
class OwnerTeam:
    """One team as its owner sees it on the Home tab."""

    team_id: int
    name: str
    min_group_size: int
    member_count: int
    latest: WeekStats | None  # the latest closed round (numbers only at or above the floor)
    usage_round: date | None  # the round the usage breakdown comes from
    usage: tuple[Share, ...]  # by `ai_frequency` option, in the question's order
    go_to: Concentration | None
    tools: Concentration | None
    diagnosed: bool
    findings: tuple[FindingLine, ...]  # detected first, then watch, in atlas order
    recovery_day: int | None  # days since the open recovery window opened
    recovery_stages: tuple[int, ...]
    trend: tuple[WeekStats, ...]  # the last 12 weeks, oldest first


@dataclass(frozen=True)
class HomeData:
    """Everything the Home tab shows one person."""

    memberships: tuple[Membership, ...]
    recent: tuple[StoredRound, ...]  # the person's own answers, newest round first
    older_rounds: int  # rounds with stored answers beyond `recent`
    answer_count: int  # answers "Delete my answers" would delete
    owned: tuple[OwnerTeam, ...]
    more_owned: tuple[str, ...]  # names of owned teams beyond those shown in full

    @property
    def paused(self) -> bool:
        """Whether the person's pulse is paused in any team."""
        return any(m.paused for m in self.memberships)


def gather(*, db: Database, slack_team_id: str, user_id: str, now: datetime) -> HomeData:
    """The Home tab's data for one person at `now`."""
    mine = members.my_data(db=db, slack_team_id=slack_team_id, user_id=user_id)
    owned_ids = [t for t, _ in owner.owned(db=db, slack_team_id=slack_team_id, user_id=user_id)]
    with db.unit_of_work() as session:
        memberships = tuple(
            _membership(session, m, session.get(Team, m.team_id), now)
            for m in team_repo.active_memberships(
                session=session, slack_team_id=slack_team_id, slack_user_id=user_id
            )
        )
        full = [session.get(Team, t) for t in owned_ids[:MAX_TEAMS_IN_FULL]]
        owned = tuple(_owner_team(session, team, now) for team in full)
        more = tuple(session.get(Team, t).name for t in owned_ids[MAX_TEAMS_IN_FULL:])
    return HomeData(
        memberships=memberships,
        recent=tuple(mine.rounds[:RECENT_ROUNDS]),
        older_rounds=max(0, len(mine.rounds) - RECENT_ROUNDS),
        answer_count=mine.answer_count,
        owned=owned,
        more_owned=more,
    )


# --- a person's own pulse ----------------------------------------------------------------------
def _membership(session: Session, member: Member, team: Team, now: datetime) -> Membership:
    tz = zone(member.timezone, team.timezone)
    today = trend.local_today(team, now)
    # A pause with an end date is over on that date (the scheduler reads it the same way).
    until = member.paused_until
    paused = member.paused and (until is None or until > today)
    return Membership(
        team_name=team.name,
        role=member.role,
        min_group_size=team.min_group_size,
        pulse_on=team.pulse_enabled,
        paused=paused,
        paused_until=member.paused_until,
        next_pulse=next_pulse(session, member, team, now),
        zone_name=tz.key,
        today=today,
    )


def next_pulse(session: Session, member: Member, team: Team, now: datetime) -> datetime | None:
    """When the person's next pulse arrives, in their own zone (None while paused or off).

    The team's pulse day and time, read in the person's zone and moved out of quiet hours, as the
    scheduler sends it; a pause with an end date skips the rounds before that date. A pause that
    ends beyond the look-ahead (even one stored before pauses were bounded, up to 31 Dec 9999)
    means no pulse in sight, never a date out of the calendar's range.
    """
    if not team.pulse_enabled or (member.paused and member.paused_until is None):
        return None
    tz = zone(member.timezone, team.timezone)
    start = trend.local_today(team, now) - timedelta(days=1)  # their today may be the team's next
    if member.paused and member.paused_until is not None:
        if member.paused_until > start + timedelta(days=LOOKAHEAD_DAYS):
            return None
        start = max(start, member.paused_until)
    calendar = WorkCalendar(
        parse_days(team.working_days), team_repo.holidays(session=session, team_id=team.id)
    )
    quiet = (team.quiet_start, team.quiet_end)
    for day in pulse_dates(
        start, start + timedelta(days=LOOKAHEAD_DAYS), team.pulse_weekday, calendar
    ):
        due = personal_due(day, team.pulse_time, tz, quiet)
        if due > now:
            return due.astimezone(tz)
    return None


# --- an owned team -----------------------------------------------------------------------------
def _owner_team(session: Session, team: Team, now: datetime) -> OwnerTeam:
    floor = team.min_group_size
    recent = trend.recent(session, team, now)
    shown = [f for f in recent if trend.reportable(f, floor)]
    usage_from = _latest(shown, lambda f: trend.question_tally(f, trend.USAGE, floor) is not None)
    window = diagnosis_repo.open_recovery(session=session, team_id=team.id)
    diagnosis = owner.stored_diagnosis(session, team.id)
    return OwnerTeam(
        team_id=team.id,
        name=team.name,
        min_group_size=floor,
        member_count=len(team_repo.active_members(session=session, team_id=team.id)),
        latest=trend.week_stats(recent[-1], floor) if recent else None,
        usage_round=usage_from.local_date if usage_from else None,
        usage=_usage(usage_from) if usage_from else (),
        go_to=_go_to(shown, floor),
        tools=_tools(session, team, shown, floor),
        diagnosed=diagnosis is not None,
        findings=_findings(diagnosis.findings) if diagnosis else (),
        recovery_day=(now.date() - window.opened_on).days if window else None,
        recovery_stages=tuple(window.stages) if window else (),
        trend=tuple(trend.week_stats(f, floor) for f in recent),
    )


def _latest(
    figures: list[RoundFigures], enough: Callable[[RoundFigures], bool]
) -> RoundFigures | None:
    return next((f for f in reversed(figures) if enough(f)), None)


def _usage(figure: RoundFigures) -> tuple[Share, ...]:
    asked = question(trend.USAGE)
    answered = figure.answerers.get(trend.USAGE, 0)
    tally = figure.tallies.get(trend.USAGE, {})
    return tuple(
        Share(o.label, tally.get(o.key, 0), tally.get(o.key, 0) / answered) for o in asked.options
    )


def _go_to(figures: list[RoundFigures], floor: int) -> Concentration | None:
    found = _latest(figures, lambda f: group_floor.shown(f.go_to_total, floor))
    if found is None:
        return None
    return Concentration(found.go_to_top, found.go_to_total, None, found.local_date)


def _tools(
    session: Session, team: Team, figures: list[RoundFigures], floor: int
) -> Concentration | None:
    found = _latest(figures, lambda f: trend.question_tally(f, TOOLS, floor) is not None)
    if found is None:
        return None
    tally = found.tallies.get(TOOLS, {})
    known = team_repo.all_tools(session=session, team_id=team.id)
    order = {key: i for i, (key, _) in enumerate(team_repo.tools(session=session, team_id=team.id))}
    key = min(tally, key=lambda k: (-tally[k], order.get(k, len(order)), k))
    label = known[key].label if key in known else ("Other" if key == "other" else key)
    return Concentration(tally[key], found.answerers[TOOLS], label, found.local_date)


def _findings(findings: Sequence[Finding]) -> tuple[FindingLine, ...]:
    titles = {m.id: m.title for m in lookup.all_modes()}
    ordered = [f for f in findings if f.status is Status.DETECTED]
    ordered += [f for f in findings if f.status is Status.WATCH]
    return tuple(
        FindingLine(f.mode_id, f.stage, titles.get(f.mode_id, f.mode_id), f.status, f.evidence)
        for f in ordered
    )
