"""Erasing one person on request, and purging old per-person rows every night.

Both keep the figures of rounds that have closed as they were published: a closed round's
delivery is not deleted (its "invited" count would drop) but moved to a stand-in membership
that names nobody, with everything that tied it to the person cleared. How each table is
treated is in docs/security.md ("Your data").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.storage import personal
from bot.storage import pulse as pulse_repo
from bot.storage.db import Database
from bot.storage.models import Member, RoundStatus

log = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 400


@dataclass(frozen=True)
class Erased:
    """What deleting one person's data did, for the reply they see."""

    answers: int = 0
    rsvps: int = 0
    check_in_answers: int = 0
    pulses_unlinked: int = 0  # deliveries of closed rounds moved to a stand-in
    pulses_open: int = 0  # deliveries of rounds still open: kept, emptied of answers
    memberships_removed: int = 0  # teams the person had left
    records_unnamed: int = 0  # workflows, self-assessment marks, findings, check-in lists


def erase(*, db: Database, slack_team_id: str, user_id: str, now: datetime) -> Erased:
    """Delete or unlink everything stored that names this person in this workspace."""
    with db.unit_of_work() as session:
        workspace_id = personal.workspace_id(session=session, slack_team_id=slack_team_id)
        if workspace_id is None:
            return Erased()
        members = personal.memberships(
            session=session, workspace_id=workspace_id, slack_user_id=user_id
        )
        answers, unlinked, still_open = _pulse(session, members, now)
        session.flush()
        removed = 0
        for member in members:
            if not member.active and member.id not in still_open:
                personal.remove_member(session=session, member=member)
                removed += 1
        rsvps = personal.delete_rsvps(
            session=session, workspace_id=workspace_id, slack_user_id=user_id
        )
        check_in_answers, unnamed = _check_ins(session, workspace_id, user_id)
        unnamed += _records(session, workspace_id, user_id)
        return Erased(
            answers=answers,
            rsvps=rsvps,
            check_in_answers=check_in_answers,
            pulses_unlinked=unlinked,
            pulses_open=sum(still_open.values()),
            memberships_removed=removed,
            records_unnamed=unnamed,
        )


def _pulse(
    session: Session, members: list[Member] | tuple[Member, ...], now: datetime
) -> tuple[int, int, dict[int, int]]:
    """Delete the answers; unlink closed rounds' deliveries; empty those of open rounds."""
    member_ids = [m.id for m in members]
    if not member_ids:
        return 0, 0, {}
    answers = pulse_repo.delete_answers_of(session=session, member_ids=member_ids)
    by_id = {m.id: m for m in members}
    stand_ins: dict[int, Member] = {}
    unlinked, still_open = 0, {}
    for delivery, rnd in personal.deliveries_with_rounds(session=session, member_ids=member_ids):
        if rnd.status is RoundStatus.OPEN:
            # The row stays on the person while the round is open: without it the fan-out would
            # send them the pulse again, and a confidential question could be answered twice.
            still_open[delivery.member_id] = still_open.get(delivery.member_id, 0) + 1
            if not pulse_repo.confidential_answered(session=session, delivery_id=delivery.id):
                delivery.responded_at = None
            continue
        member = by_id[delivery.member_id]
        if member.id not in stand_ins:
            stand_ins[member.id] = personal.add_stand_in(session=session, member=member, now=now)
        personal.detach(delivery=delivery, rnd=rnd, stand_in=stand_ins[member.id])
        unlinked += 1
    return answers, unlinked, still_open


def _check_ins(session: Session, workspace_id: int, user_id: str) -> tuple[int, int]:
    """Clear the check-in answers the person gave and take them off the recipient lists."""
    answers = unnamed = 0
    for check_in in personal.workspace_check_ins(session=session, workspace_id=workspace_id):
        if check_in.answered_by == user_id:
            check_in.on_track = check_in.shipped = check_in.answered_at = None
            check_in.answered_by = None
            answers += 1
        if user_id in (check_in.sent_to or []):
            check_in.sent_to = [u for u in check_in.sent_to if u != user_id]
            unnamed += 1
    return answers, unnamed


def _records(session: Session, workspace_id: int, user_id: str) -> int:
    """Take the person's name off workflows, self-assessment marks and findings."""
    ids = {"session": session, "workspace_id": workspace_id, "slack_user_id": user_id}
    unnamed = 0
    for workflow in personal.workflows_naming(**ids):
        if workflow.owner_user_id == user_id:
            workflow.owner_user_id = None
        if workflow.created_by == user_id:
            workflow.created_by = None
        unnamed += 1
    for mark in personal.marks_by(**ids):
        mark.marked_by = None
        unnamed += 1
    for finding in personal.findings_by(**ids):
        if finding.acknowledged_by == user_id:
            finding.acknowledged_by = None
        if finding.not_applicable_by == user_id:
            finding.not_applicable_by = None
        unnamed += 1
    return unnamed


# --- the nightly purge -------------------------------------------------------------------------
@dataclass
class PurgeReport:
    """What one purge did."""

    cutoff: datetime
    pulses_unlinked: int = 0
    rsvps: int = 0
    check_ins: int = 0
    memberships_removed: int = 0
    failed_teams: list[int] = field(default_factory=list)


def purge(*, db: Database, now: datetime, days: int = DEFAULT_RETENTION_DAYS) -> PurgeReport:
    """Unlink or delete per-person rows older than `days`, team by team; figures stay.

    Deliveries of closed rounds older than the cutoff move to stand-ins (their answers stay
    with them, naming nobody, so every figure of those rounds is unchanged); office-hours
    replies of older weeks are deleted; older check-ins forget who got and answered them;
    memberships of people who left before the cutoff are deleted once nothing is on them.
    """
    cutoff = now - timedelta(days=days)
    report = PurgeReport(cutoff=cutoff)
    with db.unit_of_work() as session:
        team_ids = personal.team_ids(session=session)
    for team_id in team_ids:
        try:
            with db.unit_of_work() as session:
                _purge_team(session, team_id, cutoff, report)
        except Exception:
            log.exception("the retention purge failed for team %s; other teams go on", team_id)
            report.failed_teams.append(team_id)
    return report


def _purge_team(session: Session, team_id: int, cutoff: datetime, report: PurgeReport) -> None:
    before = cutoff.date()
    stand_ins: dict[int, Member] = {}
    for delivery, rnd in personal.old_deliveries(session=session, team_id=team_id, before=before):
        member = session.get(Member, delivery.member_id)
        if member.id not in stand_ins:
            stand_ins[member.id] = personal.add_stand_in(session=session, member=member, now=cutoff)
        personal.detach(delivery=delivery, rnd=rnd, stand_in=stand_ins[member.id])
        report.pulses_unlinked += 1
    session.flush()
    report.rsvps += personal.delete_old_rsvps(session=session, team_id=team_id, before=before)
    for check_in in personal.old_check_ins(session=session, team_id=team_id, before=before):
        check_in.sent_to, check_in.answered_by = [], None
        report.check_ins += 1
    for member in personal.left_before(session=session, team_id=team_id, before=cutoff):
        if not personal.deliveries_with_rounds(session=session, member_ids=[member.id]):
            personal.remove_member(session=session, member=member)
            report.memberships_removed += 1
