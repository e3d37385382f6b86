"""Repository for the weekly rituals and the registry: office hours, check-ins, workflows.

Never commits; the caller's unit of work does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Insert, Table, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.storage.models import (
    CheckInRecord,
    OfficeHoursRsvp,
    OfficeHoursSession,
    SessionStatus,
    WorkflowRecord,
)

HOLIDAY = "holiday"  # the `detail` of a session skipped for a team holiday


# --- workflows ---------------------------------------------------------------------------------
def workflows(
    *, session: Session, team_id: int, archived: bool = False
) -> Sequence[WorkflowRecord]:
    """The team's workflows (archived ones only when asked), oldest first."""
    query = select(WorkflowRecord).where(WorkflowRecord.team_id == team_id)
    if not archived:
        query = query.where(WorkflowRecord.archived_at.is_(None))
    return session.scalars(query.order_by(WorkflowRecord.id)).all()


def workflow_named(*, session: Session, team_id: int, name: str) -> WorkflowRecord | None:
    """A workflow by name, archived or not, ignoring case."""
    return session.scalar(
        select(WorkflowRecord).where(
            WorkflowRecord.team_id == team_id,
            func.lower(WorkflowRecord.name) == name.casefold(),
        )
    )


def owns_workflow(*, session: Session, team_id: int, user_id: str) -> bool:
    """Whether the person owns a current workflow in the team's registry."""
    return (
        session.scalar(
            select(WorkflowRecord.id)
            .where(
                WorkflowRecord.team_id == team_id,
                WorkflowRecord.owner_user_id == user_id,
                WorkflowRecord.archived_at.is_(None),
            )
            .limit(1)
        )
        is not None
    )


# --- check-ins ---------------------------------------------------------------------------------
def check_in(*, session: Session, team_id: int, week_of: date) -> CheckInRecord | None:
    """The check-in of one week."""
    return session.scalar(
        select(CheckInRecord).where(
            CheckInRecord.team_id == team_id, CheckInRecord.week_of == week_of
        )
    )


def sent_check_ins(*, session: Session, team_id: int, until: datetime) -> Sequence[CheckInRecord]:
    """Check-ins that went out by `until`, oldest first."""
    return session.scalars(
        select(CheckInRecord)
        .where(
            CheckInRecord.team_id == team_id,
            CheckInRecord.sent_at.is_not(None),
            CheckInRecord.sent_at <= until,
        )
        .order_by(CheckInRecord.week_of)
    ).all()


# --- office hours ------------------------------------------------------------------------------
def office_hours(*, session: Session, team_id: int, local_date: date) -> OfficeHoursSession | None:
    """The session of one local date."""
    return session.scalar(
        select(OfficeHoursSession).where(
            OfficeHoursSession.team_id == team_id, OfficeHoursSession.local_date == local_date
        )
    )


def past_sessions(
    *, session: Session, team_id: int, until: datetime
) -> list[tuple[date, bool, int, int]]:
    """(local date, held, RSVPs, attendees) of sessions that started by `until`, oldest first.

    Holiday weeks are left out: the team did not work, so nothing was missed.
    """
    going = func.sum(case((OfficeHoursRsvp.going.is_(True), 1), else_=0))
    attended = func.count(OfficeHoursRsvp.attended_at)
    rows = session.execute(
        select(OfficeHoursSession.local_date, OfficeHoursSession.status, going, attended)
        .outerjoin(OfficeHoursRsvp, OfficeHoursRsvp.session_id == OfficeHoursSession.id)
        .where(
            OfficeHoursSession.team_id == team_id,
            OfficeHoursSession.starts_at <= until,
            func.coalesce(OfficeHoursSession.detail, "") != HOLIDAY,
        )
        .group_by(OfficeHoursSession.id, OfficeHoursSession.local_date, OfficeHoursSession.status)
        .order_by(OfficeHoursSession.local_date)
    ).all()
    return [
        (day, status is SessionStatus.ANNOUNCED, int(g or 0), int(a or 0))
        for day, status, g, a in rows
    ]


# --- office hours: planning, claims and RSVPs --------------------------------------------------
def _insert(session: Session, table: Table) -> Insert:
    """INSERT with ON CONFLICT support on both SQLite and PostgreSQL."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def add_session(*, session: Session, **fields: object) -> OfficeHoursSession | None:
    """Insert one week's session; None when the team already has one on that local date."""
    statement = (
        _insert(session, OfficeHoursSession.__table__)
        .values(**fields)
        .on_conflict_do_nothing(index_elements=["team_id", "local_date"])
        .returning(OfficeHoursSession.id)
    )
    new_id = session.execute(statement).scalar()
    return session.get(OfficeHoursSession, new_id) if new_id is not None else None


def sessions_between(
    *, session: Session, team_id: int, start: date, end: date
) -> Sequence[OfficeHoursSession]:
    """The team's sessions whose local date is in [start, end], oldest first."""
    return session.scalars(
        select(OfficeHoursSession)
        .where(
            OfficeHoursSession.team_id == team_id,
            OfficeHoursSession.local_date >= start,
            OfficeHoursSession.local_date <= end,
        )
        .order_by(OfficeHoursSession.local_date)
    ).all()


def sessions_to_post(
    *, session: Session, team_id: int, status: SessionStatus, due_by: datetime, since: datetime
) -> Sequence[OfficeHoursSession]:
    """Sessions in `status` whose post (announcement or reminder) is due by `due_by`.

    `since` bounds the search to recent sessions; older ones were settled long ago.
    """
    due = (
        OfficeHoursSession.announce_at
        if status is SessionStatus.PLANNED
        else OfficeHoursSession.remind_at
    )
    return session.scalars(
        select(OfficeHoursSession)
        .where(
            OfficeHoursSession.team_id == team_id,
            OfficeHoursSession.status == status,
            due <= due_by,
            OfficeHoursSession.starts_at >= since,
        )
        .order_by(OfficeHoursSession.local_date)
    ).all()


def claim_session(
    *, session: Session, session_id: int, seen_attempts: int, values: dict[str, object]
) -> bool:
    """Take a session for one post: `attempts` doubles as its version, so one claimer wins."""
    result = session.execute(
        update(OfficeHoursSession)
        .where(
            OfficeHoursSession.id == session_id,
            OfficeHoursSession.attempts == seen_attempts,
        )
        .values(attempts=seen_attempts + 1, **values)
    )
    return result.rowcount == 1


def session_by_id(*, session: Session, session_id: int) -> OfficeHoursSession | None:
    """One session by id."""
    return session.get(OfficeHoursSession, session_id)


def set_rsvp(
    *, session: Session, session_id: int, user_id: str, going: bool, now: datetime
) -> None:
    """Say someone is coming (or no longer coming); one row per person, double clicks too."""
    statement = _insert(session, OfficeHoursRsvp.__table__).values(
        session_id=session_id, slack_user_id=user_id, going=going, rsvp_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=["session_id", "slack_user_id"],
        set_={"going": going, "rsvp_at": now},
    )
    session.execute(statement)


def set_attended(*, session: Session, session_id: int, user_id: str, now: datetime) -> None:
    """Record that someone was there; the first click's time is kept."""
    statement = _insert(session, OfficeHoursRsvp.__table__).values(
        session_id=session_id, slack_user_id=user_id, going=False, attended_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=["session_id", "slack_user_id"],
        set_={"attended_at": func.coalesce(OfficeHoursRsvp.__table__.c.attended_at, now)},
    )
    session.execute(statement)


def rsvp(*, session: Session, session_id: int, user_id: str) -> OfficeHoursRsvp | None:
    """One person's row for one session."""
    return session.get(OfficeHoursRsvp, (session_id, user_id))


def rsvp_counts(*, session: Session, session_id: int) -> tuple[int, int]:
    """(how many said they are coming, how many said they were there)."""
    going = func.sum(case((OfficeHoursRsvp.going.is_(True), 1), else_=0))
    row = session.execute(
        select(going, func.count(OfficeHoursRsvp.attended_at)).where(
            OfficeHoursRsvp.session_id == session_id
        )
    ).one()
    return int(row[0] or 0), int(row[1] or 0)


# --- check-ins: planning, claims and answers ---------------------------------------------------
def add_check_in(*, session: Session, **fields: object) -> CheckInRecord | None:
    """Insert one week's check-in; None when the team already has one for that week."""
    statement = (
        _insert(session, CheckInRecord.__table__)
        .values(**fields)
        .on_conflict_do_nothing(index_elements=["team_id", "week_of"])
        .returning(CheckInRecord.id)
    )
    new_id = session.execute(statement).scalar()
    return session.get(CheckInRecord, new_id) if new_id is not None else None


def check_in_by_id(
    *, session: Session, check_in_id: int, for_update: bool = False
) -> CheckInRecord | None:
    """One check-in by id, locked against concurrent clicks when asked (where rows can lock)."""
    query = select(CheckInRecord).where(CheckInRecord.id == check_in_id)
    return session.scalar(query.with_for_update() if for_update else query)


def claim_check_in(*, session: Session, check_in_id: int, seen_attempts: int) -> bool:
    """Take a check-in for one sending pass: `attempts` doubles as its version."""
    result = session.execute(
        update(CheckInRecord)
        .where(CheckInRecord.id == check_in_id, CheckInRecord.attempts == seen_attempts)
        .values(attempts=seen_attempts + 1)
    )
    return result.rowcount == 1


def newer_check_in_sent(*, session: Session, team_id: int, week_of: date, until: datetime) -> bool:
    """Whether a later week's check-in went out by `until` (older ones then stop taking answers)."""
    found = session.scalar(
        select(func.count())
        .select_from(CheckInRecord)
        .where(
            CheckInRecord.team_id == team_id,
            CheckInRecord.week_of > week_of,
            CheckInRecord.sent_at.is_not(None),
            CheckInRecord.sent_at <= until,
        )
    )
    return bool(found)
