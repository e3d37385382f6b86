"""What the rollout owner (and others) can see and set about a team's diagnosis."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from atlas import lookup
from atlas.diagnosis.engine import cadence
from atlas.diagnosis.model import Diagnosis, Finding, Source, Status
from atlas.taxonomy import RECOVERY_THRESHOLD
from bot.services import snapshot as snapshots
from bot.services.diagnosis import Followup
from bot.storage import diagnosis as repo
from bot.storage import teams as team_repo
from bot.storage.db import Database
from bot.storage.models import Role, SelfAssessment, Team


@dataclass(frozen=True)
class TeamView:
    """One team as a person may see it."""

    team_id: int
    name: str
    full: bool  # owner or workspace admin: the whole diagnosis
    shared: bool  # the owner shares the summary with everyone
    min_group_size: int
    member_count: int
    diagnosis: Diagnosis | None  # None before the first run
    recovery_day: int | None


def _teams_of(session: Session, slack_team_id: str, user_id: str) -> list[tuple[Team, bool]]:
    """The person's teams, each with whether they see it in full (owner or workspace admin)."""
    return [
        (session.get(Team, m.team_id), m.role is Role.OWNER or m.is_admin)
        for m in team_repo.active_memberships(
            session=session, slack_team_id=slack_team_id, slack_user_id=user_id
        )
    ]


def stored_diagnosis(session, team_id: int, now: datetime | None = None) -> Diagnosis | None:
    """The diagnosis as of the last run, from stored findings.

    The weekly cadence is read fresh from the rituals' tables, as of `now` or, without it, as of
    the last run.
    """
    records = repo.findings(session=session, team_id=team_id)
    if not records:
        return None
    as_of = now or max(r.updated_at for r in records.values())
    rhythm = cadence(snapshots.rituals_only(session, session.get(Team, team_id), as_of))
    findings = []
    for mode in lookup.all_modes():
        record = records.get(mode.id)
        if record is None:
            continue
        findings.append(
            Finding(
                mode_id=mode.id,
                stage=mode.stage,
                status=Status(record.status),
                evidence=record.evidence,
                sample=record.sample,
                confidence=record.confidence,
                since=record.since,
                severity=record.severity,
                source=Source(record.source),
            )
        )
    per_stage: dict[int, int] = {}
    for f in findings:
        if f.status is Status.DETECTED:
            per_stage[f.stage] = per_stage.get(f.stage, 0) + 1
    stages = tuple(s for s, n in sorted(per_stage.items()) if n >= RECOVERY_THRESHOLD)
    return Diagnosis(
        findings=tuple(findings), live_stages=frozenset(), recovery_stages=stages, cadence=rhythm
    )


def views(*, db: Database, slack_team_id: str, user_id: str, now: datetime) -> list[TeamView]:
    """Every team the person belongs to, with what they may see of its diagnosis."""
    result = []
    with db.unit_of_work() as session:
        for team, full in _teams_of(session, slack_team_id, user_id):
            window = repo.open_recovery(session=session, team_id=team.id)
            result.append(
                TeamView(
                    team_id=team.id,
                    name=team.name,
                    full=full,
                    shared=team.share_summary,
                    min_group_size=team.min_group_size,
                    member_count=len(team_repo.active_members(session=session, team_id=team.id)),
                    diagnosis=stored_diagnosis(session, team.id, now),
                    recovery_day=(now.date() - window.opened_on).days if window else None,
                )
            )
    return result


def owned(*, db: Database, slack_team_id: str, user_id: str) -> list[tuple[int, str]]:
    """Teams this person may run the check and the sharing setting for."""
    with db.unit_of_work() as session:
        return [(t.id, t.name) for t, full in _teams_of(session, slack_team_id, user_id) if full]


def set_sharing(*, db: Database, team_id: int, share: bool) -> None:
    """Whether everyone in the team may see the summary in /atlas status."""
    with db.unit_of_work() as session:
        session.get(Team, team_id).share_summary = share


def marks(*, db: Database, team_id: int) -> dict[str, tuple[bool, str]]:
    """The stored self-assessment: mode id → (applies, note)."""
    with db.unit_of_work() as session:
        return {
            m.mode_id: (m.applies, m.note) for m in repo.marks(session=session, team_id=team_id)
        }


class NotOwner(Exception):
    """Only the team's rollout owner (or a workspace admin) may do this."""


def save_marks(
    *,
    db: Database,
    slack_team_id: str,
    team_id: int | None,
    user_id: str,
    ticked: set[str],
    notes: dict[str, str],
    now: datetime,
    followup: Followup | None = None,
) -> int:
    """Store the owner's check: every mode is marked applies or not; returns how many apply.
    The diagnosis, which reads the check, is brought up to date afterwards.

    Raises `NotOwner` unless the person owns the team in this workspace.
    """
    valid = {m.id for m in lookup.all_modes()}
    with db.unit_of_work() as session:
        owns = [t.id for t, full in _teams_of(session, slack_team_id, user_id) if full]
        if team_id is None or team_id not in owns:
            raise NotOwner(user_id)
        for mode_id in valid:
            mark = repo.mark(session=session, team_id=team_id, mode_id=mode_id)
            if mark is None:
                mark = SelfAssessment(team_id=team_id, mode_id=mode_id)
                session.add(mark)
            mark.applies = mode_id in ticked
            mark.note = notes.get(mode_id, "")
            mark.marked_by, mark.marked_at = user_id, now
    if followup is not None:
        followup.rediagnose(team_id=team_id, now=now, trigger="check")
    return len(ticked & valid)


def finding_for(
    *, db: Database, slack_team_id: str, user_id: str, mode_id: str
) -> tuple[str, Finding] | None:
    """For an owner: their team's finding for one mode (team name, finding), if detected/watch."""
    with db.unit_of_work() as session:
        for team, full in _teams_of(session, slack_team_id, user_id):
            if not full:
                continue
            diagnosis = stored_diagnosis(session, team.id)
            finding = diagnosis.finding(mode_id) if diagnosis else None
            if finding and finding.status in (Status.DETECTED, Status.WATCH):
                return team.name, finding
    return None
