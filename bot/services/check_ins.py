"""The rollout owner's weekly check-in: one DM per owner per week, two questions as buttons.

One row per team per week (`week_of`, its Monday), due at the team's check-in time on its day,
moved to the next working day of the same week around holidays (no row when none is left).
Each owner's DM goes out at most once: `sent_to` lists those whose DM Slack confirmed, and
`attempts` counts sending passes and is the row's version, so one process wins each pass. After
a pass, anyone not yet confirmed is looked up in their DM's history (by message metadata) before
anything is sent again, so a lost answer never turns into a second DM. An outage delays the
check-in within its week; it is never sent for a week that is over.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.blocks import check_ins as blocks
from bot.blocks.check_ins import CheckInView
from bot.outbound import Caller, Outcome, find_in_dm
from bot.scheduling.calendar import WorkCalendar, at_local, parse_days, pulse_dates, zone
from bot.services import workspaces
from bot.storage import rituals
from bot.storage import teams as team_repo
from bot.storage.db import Database
from bot.storage.models import CheckInRecord, Team, Workspace

log = logging.getLogger(__name__)

ON_TRACK = frozenset(key for key, _ in blocks.ON_TRACK)
SHIPPED = {"yes": True, "no": False}
MAX_BACKOFF_MINUTES = 30


class Refusal(enum.StrEnum):
    """Why a click changed nothing."""

    CLOSED = "closed"  # a newer check-in has gone out
    NOT_YOURS = "not_yours"
    UNKNOWN = "unknown"


@dataclass
class SendReport:
    """What one sending pass did."""

    sent: int = 0
    reconciled: int = 0  # found already in a DM after a lost answer
    retry: int = 0
    ambiguous: int = 0
    failed: int = 0
    stopped: bool = False


@dataclass(frozen=True)
class AnswerResult:
    """The check-in as it now stands, or why the click was refused."""

    view: CheckInView | None
    refusal: Refusal | None = None
    week_of: date | None = None


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def due_at(team: Team, week_of: date, calendar: WorkCalendar, tz: ZoneInfo) -> datetime | None:
    """When the week's check-in is due: its weekday, or the next working day of the same week."""
    day = next(
        pulse_dates(week_of, week_of + timedelta(days=6), team.check_in_weekday, calendar), None
    )
    return at_local(day, team.check_in_time, tz) if day else None


def _week_end(week_of: date, tz: ZoneInfo) -> datetime:
    return at_local(week_of + timedelta(days=7), time(0, 0), tz)


def _next_pass(row: CheckInRecord) -> datetime:
    """After `attempts` passes, the earliest the next may start: 1, 2, 4… then every 30 min."""
    minutes = sum(min(2**i, MAX_BACKOFF_MINUTES) for i in range(row.attempts))
    return row.due_at + timedelta(minutes=minutes)


# --- planning ----------------------------------------------------------------------------------
def plan(*, db: Database, team_id: int, now: datetime) -> int | None:
    """Create this week's check-in (the new id), or keep an unsent one on the current settings."""
    with db.unit_of_work() as session:
        team = team_repo.get(session=session, team_id=team_id)
        if team is None:
            return None
        tz = zone(team.timezone)
        week_of = week_start(now.astimezone(tz).date())
        row = rituals.check_in(session=session, team_id=team_id, week_of=week_of)
        untouched = row is not None and row.attempts == 0 and row.sent_at is None
        if not team.check_in_enabled:
            if untouched:
                session.delete(row)
            return None
        calendar = WorkCalendar(
            parse_days(team.working_days), team_repo.holidays(session=session, team_id=team_id)
        )
        when = due_at(team, week_of, calendar, tz)
        if row is not None:
            if untouched and when is None:
                session.delete(row)  # a holiday took the week's last working day
            elif untouched:
                row.due_at = when
            return None
        if when is None or when < team.created_at:
            return None  # no working day left, or the team did not exist yet
        new = rituals.add_check_in(
            session=session,
            workspace_id=team.workspace_id,
            team_id=team.id,
            week_of=week_of,
            due_at=when,
            sent_to=[],
            attempts=0,
        )
        return new.id if new is not None else None


# --- sending -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Pass:
    check_in_id: int
    pending: list[str]
    check_first: bool
    view: CheckInView


def send(*, db: Database, team_id: int, caller: Caller, now: datetime) -> SendReport:
    """DM this week's check-in to every owner who has not had it, once it is due."""
    report = SendReport()
    with db.unit_of_work() as session:
        work = _claim_pass(session, team_id, now)
    if work is None:
        return report
    message = blocks.check_in(work.view)
    for user_id in work.pending:
        if work.check_first:
            found = _find_sent(caller, user_id, work.check_in_id)
            if found is Outcome.STOP:
                return _stop(db, team_id, report)
            if found is True:
                _confirm(db, work.check_in_id, user_id, now)
                report.reconciled += 1
                continue
            if found is not Outcome.OK:
                continue  # could not look: the next pass tries again, never blindly
        result = caller.call(
            "chat.postMessage",
            channel=user_id,
            text=message.text,
            blocks=message.blocks,
            metadata=blocks.metadata(work.check_in_id),
            unfurl_links=False,
        )
        if result.outcome is Outcome.OK:
            _confirm(db, work.check_in_id, user_id, now)
            report.sent += 1
        elif result.outcome is Outcome.STOP:
            return _stop(db, team_id, report)
        elif result.outcome is Outcome.AMBIGUOUS:
            report.ambiguous += 1  # the next pass looks in the DM before sending
        elif result.outcome is Outcome.RETRY:
            report.retry += 1
        else:
            report.failed += 1
            log.warning("check-in %s to %s refused: %s", work.check_in_id, user_id, result.error)
    return report


def _claim_pass(session: Session, team_id: int, now: datetime) -> _Pass | None:
    team = team_repo.get(session=session, team_id=team_id)
    if team is None or not team.check_in_enabled:
        return None
    tz = zone(team.timezone)
    row = rituals.check_in(
        session=session, team_id=team_id, week_of=week_start(now.astimezone(tz).date())
    )
    if row is None or now < row.due_at or (row.attempts and now < _next_pass(row)):
        return None
    pending = [
        user_id
        for user_id in team_repo.owner_recipients(session=session, team=team)
        if user_id not in (row.sent_to or [])
    ]
    if not pending:
        return None
    seen = row.attempts
    view = _view(row, team)
    if not rituals.claim_check_in(session=session, check_in_id=row.id, seen_attempts=seen):
        return None  # another process has this pass
    return _Pass(row.id, pending, seen > 0, view)


def _confirm(db: Database, check_in_id: int, user_id: str, now: datetime) -> None:
    with db.unit_of_work() as session:
        row = rituals.check_in_by_id(session=session, check_in_id=check_in_id, for_update=True)
        if user_id not in (row.sent_to or []):
            row.sent_to = [*(row.sent_to or []), user_id]
        row.sent_at = row.sent_at or now


def _find_sent(caller: Caller, user_id: str, check_in_id: int) -> bool | Outcome:
    """True when our DM for this check-in is in the person's DM, OK when it certainly is not,
    or the outcome that stopped us from looking."""
    found = find_in_dm(caller, user_id, "atlas_check_in", {"check_in_id": check_in_id})
    return found if isinstance(found, Outcome) else True


def _stop(db: Database, team_id: int, report: SendReport) -> SendReport:
    """The token is dead or the app was removed: stop the workspace's work."""
    report.stopped = True
    with db.unit_of_work() as session:
        team = team_repo.get(session=session, team_id=team_id)
        slack_team_id = session.get(Workspace, team.workspace_id).slack_team_id
    workspaces.deactivate(db=db, slack_team_id=slack_team_id)
    log.warning("workspace %s: Slack says the app is gone; check-ins stop", slack_team_id)
    return report


# --- answers -----------------------------------------------------------------------------------
def _view(row: CheckInRecord, team: Team) -> CheckInView:
    end = _week_end(row.week_of, zone(team.timezone))
    return CheckInView(
        check_in_id=row.id,
        team_id=team.id,
        team=team.name,
        week_of=row.week_of,
        on_track=row.on_track,
        shipped=row.shipped,
        answered_by=row.answered_by,
        late=row.answered_at is not None and row.answered_at >= end,
    )


def answer(
    *,
    db: Database,
    check_in_id: int,
    slack_team_id: str,
    user_id: str,
    question: str,
    value: str,
    now: datetime,
) -> AnswerResult:
    """Store one click: any owner may answer, the last click wins, late answers count, until
    the next week's check-in goes out."""
    with db.unit_of_work() as session:
        row = rituals.check_in_by_id(session=session, check_in_id=check_in_id, for_update=True)
        if row is None:
            return AnswerResult(None, Refusal.UNKNOWN)
        team = team_repo.get(session=session, team_id=row.team_id)
        if session.get(Workspace, row.workspace_id).slack_team_id != slack_team_id:
            return AnswerResult(None, Refusal.UNKNOWN)
        owners = team_repo.owner_recipients(session=session, team=team)
        if user_id not in owners and user_id not in (row.sent_to or []):
            return AnswerResult(None, Refusal.NOT_YOURS)
        if rituals.newer_check_in_sent(
            session=session, team_id=team.id, week_of=row.week_of, until=now
        ):
            return AnswerResult(None, Refusal.CLOSED, row.week_of)
        if question == "on_track" and value in ON_TRACK:
            row.on_track = value
        elif question == "shipped" and value in SHIPPED:
            row.shipped = SHIPPED[value]
        else:
            return AnswerResult(None, Refusal.UNKNOWN)
        row.answered_at, row.answered_by = now, user_id
        return AnswerResult(_view(row, team))
