"""Repository for what names one person outside the pulse ledger, and for old per-person rows.

Reads and writes office-hours replies, check-ins, workflows, self-assessment marks and
findings by Slack user id, and detaches pulse deliveries from a membership. The confidential
tables are left to `bot.storage.pulse`. Never commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.storage.models import (
    CheckInRecord,
    Delivery,
    FindingRecord,
    Member,
    OfficeHoursRsvp,
    OfficeHoursSession,
    PulseRound,
    RoundStatus,
    SelfAssessment,
    Team,
    WorkflowRecord,
    Workspace,
)

# A stand-in membership's Slack id: never a real user id (those start with U or W).
STAND_IN_PREFIX = "erased-"


def workspace_id(*, session: Session, slack_team_id: str) -> int | None:
    """The workspace row's id for a Slack team id."""
    return session.scalar(select(Workspace.id).where(Workspace.slack_team_id == slack_team_id))


def memberships(*, session: Session, workspace_id: int, slack_user_id: str) -> Sequence[Member]:
    """Every membership of the person in the workspace, current or left, oldest first."""
    return session.scalars(
        select(Member)
        .where(Member.workspace_id == workspace_id, Member.slack_user_id == slack_user_id)
        .order_by(Member.id)
    ).all()


def rsvps(
    *, session: Session, workspace_id: int, slack_user_id: str
) -> Sequence[tuple[OfficeHoursRsvp, OfficeHoursSession, str]]:
    """The person's office-hours replies with their week and team name, oldest first."""
    return session.execute(
        select(OfficeHoursRsvp, OfficeHoursSession, Team.name)
        .join(OfficeHoursSession, OfficeHoursSession.id == OfficeHoursRsvp.session_id)
        .join(Team, Team.id == OfficeHoursSession.team_id)
        .where(
            OfficeHoursSession.workspace_id == workspace_id,
            OfficeHoursRsvp.slack_user_id == slack_user_id,
        )
        .order_by(OfficeHoursSession.local_date)
    ).all()


def delete_rsvps(*, session: Session, workspace_id: int, slack_user_id: str) -> int:
    """Delete the person's office-hours replies; returns how many."""
    sessions = select(OfficeHoursSession.id).where(OfficeHoursSession.workspace_id == workspace_id)
    result = session.execute(
        delete(OfficeHoursRsvp).where(
            OfficeHoursRsvp.slack_user_id == slack_user_id,
            OfficeHoursRsvp.session_id.in_(sessions),
        )
    )
    return result.rowcount or 0


def check_ins(*, session: Session, team_ids: Sequence[int]) -> Sequence[CheckInRecord]:
    """Every check-in of these teams, oldest week first."""
    if not team_ids:
        return []
    return session.scalars(
        select(CheckInRecord)
        .where(CheckInRecord.team_id.in_(team_ids))
        .order_by(CheckInRecord.week_of, CheckInRecord.team_id)
    ).all()


def workspace_check_ins(*, session: Session, workspace_id: int) -> Sequence[CheckInRecord]:
    """Every check-in of the workspace (the list of recipients is JSON: filtered by the caller)."""
    return session.scalars(
        select(CheckInRecord).where(CheckInRecord.workspace_id == workspace_id)
    ).all()


def workflows_naming(
    *, session: Session, workspace_id: int, slack_user_id: str
) -> Sequence[WorkflowRecord]:
    """Workflows the person owns or added, archived ones included."""
    return session.scalars(
        select(WorkflowRecord)
        .where(
            WorkflowRecord.workspace_id == workspace_id,
            (WorkflowRecord.owner_user_id == slack_user_id)
            | (WorkflowRecord.created_by == slack_user_id),
        )
        .order_by(WorkflowRecord.id)
    ).all()


def marks_by(
    *, session: Session, workspace_id: int, slack_user_id: str
) -> Sequence[SelfAssessment]:
    """Self-assessment marks the person made."""
    teams = select(Team.id).where(Team.workspace_id == workspace_id)
    return session.scalars(
        select(SelfAssessment)
        .where(SelfAssessment.team_id.in_(teams), SelfAssessment.marked_by == slack_user_id)
        .order_by(SelfAssessment.team_id, SelfAssessment.mode_id)
    ).all()


def findings_by(
    *, session: Session, workspace_id: int, slack_user_id: str
) -> Sequence[FindingRecord]:
    """Findings the person acknowledged or marked as not applicable."""
    return session.scalars(
        select(FindingRecord)
        .where(
            FindingRecord.workspace_id == workspace_id,
            (FindingRecord.acknowledged_by == slack_user_id)
            | (FindingRecord.not_applicable_by == slack_user_id),
        )
        .order_by(FindingRecord.id)
    ).all()


def team_names(*, session: Session, team_ids: Sequence[int]) -> dict[int, str]:
    """Team names by id."""
    if not team_ids:
        return {}
    return dict(session.execute(select(Team.id, Team.name).where(Team.id.in_(team_ids))).all())


# --- detaching deliveries ----------------------------------------------------------------------
def add_stand_in(*, session: Session, member: Member, now: datetime) -> Member:
    """A membership that names nobody, to hold deliveries detached from `member`.

    It keeps the team and the role, which the published figures are grouped by, and nothing
    else: inactive, so no pulse, sync or count of the team's people ever includes it.
    """
    stand_in = Member(
        workspace_id=member.workspace_id,
        team_id=member.team_id,
        slack_user_id=STAND_IN_PREFIX + secrets.token_hex(8),
        role=member.role,
        active=False,
        is_deleted=True,
        joined_at=now,
        left_at=now,
    )
    session.add(stand_in)
    session.flush()
    return stand_in


def detach(*, delivery: Delivery, rnd: PulseRound, stand_in: Member) -> None:
    """Move a delivery to a stand-in and clear what tied it to the person (DM, times, zone)."""
    delivery.member_id = stand_in.id
    delivery.due_at = rnd.due_at  # the person's own due time would give away their zone
    delivery.channel_id = delivery.message_ts = delivery.reminder_ts = None
    delivery.claimed_at = delivery.claimed_by = delivery.next_attempt_at = None
    delivery.sent_at = delivery.responded_at = None
    delivery.detail = None


def deliveries_with_rounds(
    *, session: Session, member_ids: Sequence[int]
) -> Sequence[tuple[Delivery, PulseRound]]:
    """These memberships' deliveries with their rounds, oldest round first."""
    if not member_ids:
        return []
    return session.execute(
        select(Delivery, PulseRound)
        .join(PulseRound, PulseRound.id == Delivery.round_id)
        .where(Delivery.member_id.in_(member_ids))
        .order_by(PulseRound.local_date, Delivery.id)
    ).all()


def team_ids(*, session: Session) -> list[int]:
    """Every team's id."""
    return list(session.scalars(select(Team.id).order_by(Team.id)).all())


def old_deliveries(
    *, session: Session, team_id: int, before: date
) -> Sequence[tuple[Delivery, PulseRound]]:
    """A team's deliveries of rounds no longer open dated before `before`, still on a person."""
    return session.execute(
        select(Delivery, PulseRound)
        .join(PulseRound, PulseRound.id == Delivery.round_id)
        .join(Member, Member.id == Delivery.member_id)
        .where(
            PulseRound.team_id == team_id,
            PulseRound.local_date < before,
            PulseRound.status != RoundStatus.OPEN,
            Member.slack_user_id.not_like(STAND_IN_PREFIX + "%"),
        )
        .order_by(Delivery.member_id, PulseRound.local_date)
    ).all()


def delete_old_rsvps(*, session: Session, team_id: int, before: date) -> int:
    """Delete a team's office-hours replies of weeks before `before`; returns how many."""
    old = select(OfficeHoursSession.id).where(
        OfficeHoursSession.team_id == team_id, OfficeHoursSession.local_date < before
    )
    result = session.execute(delete(OfficeHoursRsvp).where(OfficeHoursRsvp.session_id.in_(old)))
    return result.rowcount or 0


def old_check_ins(*, session: Session, team_id: int, before: date) -> list[CheckInRecord]:
    """A team's check-ins of weeks before `before` that still name someone."""
    rows = session.scalars(
        select(CheckInRecord)
        .where(CheckInRecord.team_id == team_id, CheckInRecord.week_of < before)
        .order_by(CheckInRecord.id)
    ).all()
    return [row for row in rows if row.sent_to or row.answered_by]


def left_before(*, session: Session, team_id: int, before: datetime) -> Sequence[Member]:
    """A team's memberships of people who left before `before` (stand-ins excluded)."""
    return session.scalars(
        select(Member).where(
            Member.team_id == team_id,
            Member.active.is_(False),
            Member.left_at < before,
            Member.slack_user_id.not_like(STAND_IN_PREFIX + "%"),
        )
    ).all()


def remove_member(*, session: Session, member: Member) -> None:
    """Delete a membership row (its deliveries must have been detached first)."""
    session.delete(member)
