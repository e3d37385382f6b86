"""Weekly office hours in a team's channel: planned per local date, announced once, reminded once.

Each week has one row, unique on the team's local date, so a DST change can neither skip nor
double a session. A post is claimed on its row before it goes out (`attempts` doubles as the
row's version, so one claimer wins); a post whose answer was lost (a timeout, a crash after the
claim) is looked up in the channel's history by its metadata before anything is posted again.
A tick that comes too late posts nothing and says why in the row's `detail`.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.blocks import office_hours as blocks
from bot.blocks.common import Message
from bot.blocks.office_hours import SessionView
from bot.ids import ActionId
from bot.outbound import Caller, CallResult, Outcome, find_tagged
from bot.scheduling.calendar import WorkCalendar, at_local, parse_days, zone
from bot.services import workspaces
from bot.storage import rituals
from bot.storage import teams as team_repo
from bot.storage.db import Database
from bot.storage.models import OfficeHoursSession, SessionStatus, Team, Workspace

log = logging.getLogger(__name__)

ANNOUNCE_LEAD = timedelta(minutes=60)  # announced at the latest this long before the start
REMIND_BEFORE = timedelta(minutes=15)
RECENT = timedelta(days=8)  # posting looks no further back than this: older rows are settled
LEASE_SECONDS = 120  # a claim older than this belonged to a process that died mid-post


@dataclass(frozen=True)
class _Kind:
    """One of the two posts of a week, and the words its row's `detail` uses."""

    name: str
    ts: str  # the row's column for Slack's ts
    at: str  # the row's column for when it was posted (or, while in flight, claimed)
    sending: str
    unsure: str
    delayed: str
    gave_up: str


ANNOUNCEMENT = _Kind(
    "announcement",
    "announcement_ts",
    "announced_at",
    sending="announcing",
    unsure="announcement unsure: the channel is checked before posting again",
    delayed="announcement delayed",
    gave_up="not announced",
)
REMINDER = _Kind(
    "reminder",
    "reminder_ts",
    "reminded_at",
    sending="reminding",
    unsure="reminder unsure: the channel is checked before posting again",
    delayed="reminder delayed",
    gave_up="not reminded",
)
TOO_LATE = "too late"
# An announcement posted within 15 minutes of the start carries "I'm here" itself: no reminder.
LIVE = "not reminded: the announcement went out within 15 minutes of the start, with I'm here"


class Refusal(enum.StrEnum):
    """Why a click changed nothing."""

    OVER = "over"
    UNKNOWN = "unknown"


@dataclass
class PostReport:
    """What one pass of announcing or reminding did."""

    posted: int = 0
    reconciled: int = 0  # found already in the channel after a lost answer
    stopped: bool = False  # Slack said the app is gone


@dataclass(frozen=True)
class ClickResult:
    """The session as it now stands, or why the click was refused."""

    view: SessionView | None
    refusal: Refusal | None = None


@dataclass(frozen=True)
class _Times:
    starts_at: datetime
    announce_at: datetime
    remind_at: datetime


def times(team: Team, day: date, tz: ZoneInfo) -> _Times:
    """When a session on local `day` starts, is announced and is reminded (DST-correct)."""
    starts = at_local(day, team.office_hours_time, tz)
    announce = min(at_local(day, team.quiet_end, tz), starts - ANNOUNCE_LEAD)
    return _Times(starts, announce, starts - REMIND_BEFORE)


# --- planning ----------------------------------------------------------------------------------
def plan(*, db: Database, team_id: int, now: datetime) -> list[int]:
    """Create this week's session, and next week's once this week's has started.

    Returns the new ids. Rows nothing was posted for yet follow the team's current settings and
    holidays; a holiday (or a day off) is SKIPPED with detail `rituals.HOLIDAY`.
    """
    created: list[int] = []
    with db.unit_of_work() as session:
        team = team_repo.get(session=session, team_id=team_id)
        if team is None:
            return created
        tz = zone(team.timezone)
        today = now.astimezone(tz).date()
        monday = today - timedelta(days=today.weekday())
        rows = rituals.sessions_between(
            session=session, team_id=team_id, start=monday, end=monday + timedelta(days=13)
        )
        if not team.office_hours_channel_id:
            for row in rows:  # switched off: drop what was only a plan
                if _untouched(row) and now < row.starts_at:
                    session.delete(row)
            return created
        calendar = WorkCalendar(
            parse_days(team.working_days), team_repo.holidays(session=session, team_id=team_id)
        )
        by_week = {_monday(row.local_date): row for row in rows}
        this_week = times(team, monday + timedelta(days=team.office_hours_weekday), tz)
        for week in (monday, monday + timedelta(days=7)):
            if week != monday and now < this_week.starts_at:
                continue  # next week's is planned once this week's has started
            day = week + timedelta(days=team.office_hours_weekday)
            when = times(team, day, tz)
            row = by_week.get(week)
            if row is not None:
                if not (_untouched(row) and now < row.starts_at):
                    continue  # posted, tried or over: it keeps the plan it had
                if row.local_date == day:
                    _follow_settings(row, team, when, calendar)
                    continue
                session.delete(row)  # the weekday changed: replace the plan
                session.flush()
            if now >= when.starts_at:
                continue  # set up after this week's start: office hours begin next week
            working = calendar.is_working_day(day)
            new = rituals.add_session(
                session=session,
                workspace_id=team.workspace_id,
                team_id=team.id,
                local_date=day,
                starts_at=when.starts_at,
                announce_at=when.announce_at,
                remind_at=when.remind_at,
                status=SessionStatus.PLANNED if working else SessionStatus.SKIPPED,
                detail=None if working else rituals.HOLIDAY,
                channel_id=team.office_hours_channel_id,
                attempts=0,
            )
            if new is not None:
                created.append(new.id)
    return created


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _untouched(row: OfficeHoursSession) -> bool:
    """Nothing was posted or tried for it: it is still only a plan."""
    planned = row.status is SessionStatus.PLANNED and row.detail is None
    holiday = row.status is SessionStatus.SKIPPED and row.detail == rituals.HOLIDAY
    return row.attempts == 0 and (planned or holiday)


def _follow_settings(
    row: OfficeHoursSession, team: Team, when: _Times, calendar: WorkCalendar
) -> None:
    row.starts_at, row.announce_at, row.remind_at = when.starts_at, when.announce_at, when.remind_at
    row.channel_id = team.office_hours_channel_id
    if calendar.is_working_day(row.local_date):
        row.status, row.detail = SessionStatus.PLANNED, None
    else:
        row.status, row.detail = SessionStatus.SKIPPED, rituals.HOLIDAY


# --- posting -----------------------------------------------------------------------------------
def announce(
    *, db: Database, team_id: int, caller: Caller, now: datetime, lease_seconds: int = LEASE_SECONDS
) -> PostReport:
    """Post the week's announcement when its time has come and the session has not started."""
    return _post_due(db, team_id, caller, now, lease_seconds, ANNOUNCEMENT)


def remind(
    *, db: Database, team_id: int, caller: Caller, now: datetime, lease_seconds: int = LEASE_SECONDS
) -> PostReport:
    """Post the "starting in 15 minutes" reminder of an announced session, before its end."""
    return _post_due(db, team_id, caller, now, lease_seconds, REMINDER)


def _post_due(
    db: Database, team_id: int, caller: Caller, now: datetime, lease_seconds: int, kind: _Kind
) -> PostReport:
    report = PostReport()
    status = SessionStatus.PLANNED if kind is ANNOUNCEMENT else SessionStatus.ANNOUNCED
    with db.unit_of_work() as session:
        ids = [
            row.id
            for row in rituals.sessions_to_post(
                session=session, team_id=team_id, status=status, due_by=now, since=now - RECENT
            )
        ]
    for session_id in ids:
        if _post(db, caller, session_id, kind, now, lease_seconds, report) is Outcome.STOP:
            report.stopped = True
            _stop(db, team_id)
            break
    return report


@dataclass(frozen=True)
class _Claim:
    channel: str
    message: Message
    check_first: bool  # a previous post may have arrived: look in the channel first
    late: bool
    live: bool  # an announcement that carries "I'm here" itself


def _post(
    db: Database,
    caller: Caller,
    session_id: int,
    kind: _Kind,
    now: datetime,
    lease_seconds: int,
    report: PostReport,
) -> Outcome | None:
    """Post one announcement or reminder at most once; None when there was nothing to do."""
    with db.unit_of_work() as session:
        claim = _claim(session, session_id, kind, now, lease_seconds)
    if claim is None:
        return None
    if claim.check_first:
        found = _find_posted(caller, claim.channel, session_id, kind.name)
        if not isinstance(found, Outcome):  # there it is
            live = kind is ANNOUNCEMENT and _carries_here(found)
            _settle(db, session_id, kind, now, ts=found["ts"], channel=claim.channel, live=live)
            report.reconciled += 1
            return Outcome.OK
        if found is not Outcome.OK:  # could not look: never post blindly
            detail = f"{kind.gave_up}: unsure whether it went out" if claim.late else kind.unsure
            _settle(db, session_id, kind, now, detail=detail, keep_at=True)
            return found
        if claim.late:
            _settle(db, session_id, kind, now, detail=f"{kind.gave_up}: {TOO_LATE}")
            return None
    result = caller.call(
        "chat.postMessage",
        channel=claim.channel,
        text=claim.message.text,
        blocks=claim.message.blocks,
        metadata=blocks.metadata(kind.name, session_id),
        unfurl_links=False,
    )
    _record(db, session_id, kind, now, result, claim, report)
    return result.outcome


def _claim(
    session: Session, session_id: int, kind: _Kind, now: datetime, lease_seconds: int
) -> _Claim | None:
    row = rituals.session_by_id(session=session, session_id=session_id)
    if row is None or getattr(row, kind.ts) is not None:
        return None
    if (row.detail or "").startswith(kind.gave_up):
        return None
    team = team_repo.get(session=session, team_id=row.team_id)
    claimed_at = getattr(row, kind.at)
    in_flight = row.detail == kind.sending
    if in_flight and claimed_at is not None and now - claimed_at < timedelta(seconds=lease_seconds):
        return None  # another process is posting it right now
    check_first = in_flight or row.detail == kind.unsure
    if kind is ANNOUNCEMENT:
        channel, deadline = team.office_hours_channel_id, row.starts_at
    else:
        channel = row.channel_id
        deadline = row.starts_at + timedelta(minutes=team.office_hours_minutes)
    if not channel:
        row.detail = f"{kind.gave_up}: office hours are off"
        return None
    late = now >= deadline
    if late and not check_first:
        row.detail = f"{kind.gave_up}: {TOO_LATE}"
        return None
    live = kind is ANNOUNCEMENT and now >= row.remind_at
    if kind is ANNOUNCEMENT:
        message = blocks.announcement(_view(session, row, team, live=live))
    else:
        message = blocks.reminder(_view(session, row, team), now)
    values: dict[str, object] = {"detail": kind.sending, kind.at: now, "channel_id": channel}
    if not rituals.claim_session(
        session=session, session_id=session_id, seen_attempts=row.attempts, values=values
    ):
        return None  # someone else claimed it first
    return _Claim(channel, message, check_first, late, live)


def _record(
    db: Database,
    session_id: int,
    kind: _Kind,
    now: datetime,
    result: CallResult,
    claim: _Claim,
    report: PostReport,
) -> None:
    if result.outcome is Outcome.OK:
        data = result.data or {}
        channel = data.get("channel", claim.channel)
        _settle(db, session_id, kind, now, ts=data.get("ts"), channel=channel, live=claim.live)
        report.posted += 1
    elif result.outcome is Outcome.AMBIGUOUS:
        _settle(db, session_id, kind, now, detail=kind.unsure, keep_at=True)
    elif result.outcome in (Outcome.RETRY, Outcome.STOP):
        # Not delivered: the next tick tries again (if the app is still installed).
        _settle(db, session_id, kind, now, detail=f"{kind.delayed}: {result.error}")
    else:
        log.warning("office hours %s %s refused: %s", session_id, kind.name, result.error)
        _settle(db, session_id, kind, now, detail=f"{kind.gave_up}: {result.error}")


def _settle(
    db: Database,
    session_id: int,
    kind: _Kind,
    now: datetime,
    *,
    ts: str | None = None,
    channel: str | None = None,
    detail: str | None = None,
    keep_at: bool = False,
    live: bool = False,
) -> None:
    """Write what is now known of one post: its ts, or why there is none."""
    with db.unit_of_work() as session:
        row = rituals.session_by_id(session=session, session_id=session_id)
        if ts is not None:
            setattr(row, kind.ts, ts)
            setattr(row, kind.at, now)
            row.channel_id, row.detail = channel or row.channel_id, LIVE if live else None
            if kind is ANNOUNCEMENT:
                row.status = SessionStatus.ANNOUNCED
            return
        row.detail = (detail or "")[:120] or None
        if not keep_at:
            setattr(row, kind.at, None)


def _carries_here(message: dict[str, Any]) -> bool:
    """Whether a posted message has the "I'm here" button."""
    return any(
        element.get("action_id") == ActionId.OFFICE_HOURS_HERE
        for block in message.get("blocks") or []
        for element in block.get("elements") or []
    )


def _find_posted(
    caller: Caller, channel: str, session_id: int, kind: str
) -> dict[str, Any] | Outcome:
    """Our post in the channel, OK if it is certainly not there, or the outcome that stopped us
    from looking."""
    return find_tagged(
        caller, channel, "atlas_office_hours", {"session_id": session_id, "kind": kind}
    )


def _stop(db: Database, team_id: int) -> None:
    """The token is dead or the app was removed: stop the workspace's work."""
    with db.unit_of_work() as session:
        team = team_repo.get(session=session, team_id=team_id)
        slack_team_id = session.get(Workspace, team.workspace_id).slack_team_id
    workspaces.deactivate(db=db, slack_team_id=slack_team_id)
    log.warning("workspace %s: Slack says the app is gone; office hours stop", slack_team_id)


# --- clicks ------------------------------------------------------------------------------------
def _view(
    session: Session, row: OfficeHoursSession, team: Team, *, live: bool | None = None
) -> SessionView:
    going, here = rituals.rsvp_counts(session=session, session_id=row.id)
    if live is None:
        live = row.detail == LIVE
    return SessionView(
        session_id=row.id,
        team=team.name,
        starts_at=row.starts_at,
        minutes=team.office_hours_minutes,
        timezone=team.timezone,
        going=going,
        here=here,
        live=live,
    )


def _clickable(
    session: Session, session_id: int, slack_team_id: str, now: datetime
) -> tuple[OfficeHoursSession | None, Team | None, Refusal | None]:
    row = rituals.session_by_id(session=session, session_id=session_id)
    if row is None or row.status is not SessionStatus.ANNOUNCED:
        return None, None, Refusal.UNKNOWN
    if session.get(Workspace, row.workspace_id).slack_team_id != slack_team_id:
        return None, None, Refusal.UNKNOWN
    team = team_repo.get(session=session, team_id=row.team_id)
    if now >= row.starts_at + timedelta(minutes=team.office_hours_minutes):
        return row, team, Refusal.OVER
    return row, team, None


def rsvp(
    *,
    db: Database,
    session_id: int,
    slack_team_id: str,
    user_id: str,
    going: bool,
    now: datetime,
) -> ClickResult:
    """ "I'll be there" (or "can't make it after all"): one row per person, until the end."""
    with db.unit_of_work() as session:
        row, team, refusal = _clickable(session, session_id, slack_team_id, now)
        if refusal is not None:
            return ClickResult(_view(session, row, team) if row else None, refusal)
        if going or rituals.rsvp(session=session, session_id=session_id, user_id=user_id):
            rituals.set_rsvp(
                session=session, session_id=session_id, user_id=user_id, going=going, now=now
            )
        return ClickResult(_view(session, row, team))


def attend(
    *, db: Database, session_id: int, slack_team_id: str, user_id: str, now: datetime
) -> ClickResult:
    """ "I'm here": attendance, counted once per person."""
    with db.unit_of_work() as session:
        row, team, refusal = _clickable(session, session_id, slack_team_id, now)
        if refusal is not None:
            return ClickResult(_view(session, row, team) if row else None, refusal)
        rituals.set_attended(session=session, session_id=session_id, user_id=user_id, now=now)
        return ClickResult(_view(session, row, team))


def refresh(
    *, db: Database, caller: Caller, session_id: int, now: datetime, attendance: bool = False
) -> None:
    """Show the counts as they now stand on the channel posts (the announcement's "N coming";
    with `attendance`, the "N here" of the post that carries "I'm here")."""
    with db.unit_of_work() as session:
        row = rituals.session_by_id(session=session, session_id=session_id)
        if row is None or row.channel_id is None:
            return
        team = team_repo.get(session=session, team_id=row.team_id)
        view = _view(session, row, team)
        updates: list[tuple[str, Message]] = []
        if row.announcement_ts and (not attendance or view.live):
            updates.append((row.announcement_ts, blocks.announcement(view)))
        if attendance and row.reminder_ts:
            reminded = row.reminded_at or now
            updates.append((row.reminder_ts, blocks.reminder(view, reminded)))
        channel = row.channel_id
    for ts, message in updates:
        result = caller.call(
            "chat.update", channel=channel, ts=ts, text=message.text, blocks=message.blocks
        )
        if result.outcome is not Outcome.OK:
            log.info("office hours %s: could not update %s (%s)", session_id, ts, result.error)
