"""Running the diagnosis for a team, keeping its findings, and alerting the owner.

An alert goes out when a finding becomes detected, again only when it worsens, and a short note
when it clears. "Not applicable" silences a mode for good, "snooze" for two weeks. Aggregates
below the team's minimum group size never produce an alert: their rules say "not enough data".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from atlas import lookup
from atlas.diagnosis.engine import diagnose, usage_share
from atlas.diagnosis.model import Diagnosis, Finding, Status, TeamSnapshot
from bot.blocks import diagnosis as blocks
from bot.blocks.common import Message
from bot.outbound import Caller, Outcome
from bot.services import snapshot as snapshots
from bot.storage import diagnosis as repo
from bot.storage import teams as team_repo
from bot.storage.db import Database
from bot.storage.models import FindingRecord, RecoveryWindowRecord, Team

log = logging.getLogger(__name__)

SNOOZE = timedelta(days=14)
WORSE_BY = 1.10  # severity must grow by a tenth before an alert repeats


@dataclass
class RunResult:
    """What one run did."""

    team_id: int
    ok: bool
    detected: list[str] = field(default_factory=list)
    alerts: int = 0
    error: str | None = None


@dataclass(frozen=True)
class _Notice:
    message: Message
    finding_id: int | None = None  # set for alerts: claimed when planned, released if undelivered
    previous_at: datetime | None = None  # the alert state to restore when delivery fails
    previous_severity: float | None = None


def recipients(session: Session, team: Team) -> list[str]:
    """Who hears about the team's diagnosis: its owners, else whoever set the team up."""
    return team_repo.owner_recipients(session=session, team=team)


def run_team(
    *, db: Database, team_id: int, caller: Caller, now: datetime, trigger: str = "manual"
) -> RunResult:
    """Diagnose one team, store the findings, and tell the owner what changed."""
    with db.unit_of_work() as session:
        run_id = repo.start_run(session=session, team_id=team_id, trigger=trigger, now=now)
    result = RunResult(team_id=team_id, ok=False)
    try:
        with db.unit_of_work() as session:
            # Runs of one team (the tick, `/atlas check`, a workflow save) take turns: the
            # second reads what the first stored, so it neither inserts a finding twice nor
            # alerts twice.
            team = team_repo.lock(session=session, team_id=team_id)
            snapshot = snapshots.build(session, team, now)
            diagnosis = diagnose(snapshot)
            notices = _apply(session, team, snapshot, diagnosis, now)
            to = recipients(session, team)
        result.detected = [f.mode_id for f in diagnosis.detected()]
        result.alerts = _send(db, caller, to, notices, now)
        result.ok = True
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"
        log.exception("diagnosis of team %s failed", team_id)
    with db.unit_of_work() as session:
        repo.finish_run(
            session=session,
            run_id=run_id,
            now=now,
            ok=result.ok,
            detected=len(result.detected),
            alerts_sent=result.alerts,
            error=result.error,
        )
    return result


def run_all(*, db: Database, caller: Caller, now: datetime, trigger: str) -> list[RunResult]:
    """Diagnose every team with the pulse on; one team's failure does not stop the others."""
    with db.unit_of_work() as session:
        team_ids = [t.id for t in team_repo.pulse_teams(session=session)]
    return [run_team(db=db, team_id=t, caller=caller, now=now, trigger=trigger) for t in team_ids]


def current(*, db: Database, team_id: int, now: datetime) -> tuple[Team, TeamSnapshot, Diagnosis]:
    """The team's diagnosis as of now, without storing or sending anything."""
    with db.unit_of_work() as session:
        team = team_repo.get(session=session, team_id=team_id)
        snapshot = snapshots.build(session, team, now)
        session.expunge(team)
    return team, snapshot, diagnose(snapshot)


def _suppressed(record: FindingRecord, now: datetime) -> bool:
    return record.not_applicable or (
        record.snoozed_until is not None and record.snoozed_until > now
    )


def _apply(
    session: Session, team: Team, snapshot: TeamSnapshot, diagnosis: Diagnosis, now: datetime
) -> list[_Notice]:
    stored = repo.findings(session=session, team_id=team.id)
    notices: list[_Notice] = []
    for finding in diagnosis.findings:
        record = stored.get(finding.mode_id)
        if record is None:
            record = FindingRecord(
                workspace_id=team.workspace_id,
                team_id=team.id,
                mode_id=finding.mode_id,
                status=Status.OK.value,
            )
            _store(record, finding, now)
            record.status = Status.OK.value  # new: nothing was detected before
            session.add(record)
            session.flush()  # alerts carry its id
        was_detected = record.status == Status.DETECTED.value
        if finding.status is Status.NOT_ENOUGH_DATA and was_detected:
            continue  # a thin week proves nothing either way: keep the last verdict
        _store(record, finding, now)
        if finding.status is Status.DETECTED:
            if not was_detected:
                record.detected_at, record.alerted_at, record.alerted_severity = now, None, None
            if _suppressed(record, now):
                continue
            if record.alerted_at is None:
                notices.append(_alert(team, record, finding, "detected", now))
            elif record.alerted_severity is not None and (
                finding.severity > record.alerted_severity * WORSE_BY + 1e-9
            ):
                notices.append(_alert(team, record, finding, "worse", now))
        elif was_detected:
            if record.alerted_at is not None and not record.not_applicable:
                mode = lookup.get(finding.mode_id)
                notices.append(_Notice(blocks.cleared(team.name, mode, finding.evidence)))
            record.alerted_at = record.alerted_severity = None
    notices += _recovery(session, team, snapshot, diagnosis, now)
    return notices


def _store(record: FindingRecord, finding: Finding, now: datetime) -> None:
    record.status = finding.status.value
    record.evidence = finding.evidence[:1000]
    record.sample, record.confidence = finding.sample, finding.confidence
    record.severity, record.source = finding.severity, finding.source.value
    record.since, record.updated_at = finding.since, now


def _alert(
    team: Team, record: FindingRecord, finding: Finding, kind: str, now: datetime
) -> _Notice:
    mode = lookup.get(finding.mode_id)
    stage = lookup.stage(mode.stage)
    message = blocks.alert(team.name, mode, stage, finding, record.id, worse=kind == "worse")
    notice = _Notice(
        message,
        finding_id=record.id,
        previous_at=record.alerted_at,
        previous_severity=record.alerted_severity,
    )
    # Claimed in the run's transaction: a run of the same team that comes next sees the alert
    # as sent and does not send it again; a failed delivery gives the claim back.
    record.alerted_at, record.alerted_severity = now, finding.severity
    return notice


def _recovery(
    session: Session, team: Team, snapshot: TeamSnapshot, diagnosis: Diagnosis, now: datetime
) -> list[_Notice]:
    window = repo.open_recovery(session=session, team_id=team.id)
    if window is None and diagnosis.recovery_needed:
        window = RecoveryWindowRecord(
            team_id=team.id,
            opened_on=now.date(),
            stages=list(diagnosis.recovery_stages),
            baseline_detected=len(diagnosis.detected()),
            baseline_usage_share=usage_share(snapshot),
        )
        session.add(window)
        return [_Notice(blocks.recovery_opened(team.name, diagnosis, window.opened_on))]
    check = diagnosis.recovery_check
    if window is not None and check is not None and window.checked_at is None:
        window.checked_at, window.improved, window.closed_on = now, check.improved, now.date()
        return [_Notice(blocks.recovery_checked(team.name, check))]
    return []


def _post_to(caller: Caller, to: list[str], message: Message) -> tuple[bool, bool]:
    """DM a message to each recipient: (reached at least one, Slack said the app is gone)."""
    delivered = False
    for user_id in to:
        result = caller.call(
            "chat.postMessage",
            channel=user_id,
            text=message.text,
            blocks=message.blocks,
            unfurl_links=False,
        )
        delivered = delivered or result.outcome is Outcome.OK
        if result.outcome is Outcome.STOP:
            return delivered, True
    return delivered, False


def _send(
    db: Database, caller: Caller, to: list[str], notices: list[_Notice], now: datetime
) -> int:
    if not to and notices:
        log.warning("diagnosis has %d notices but nobody to send them to", len(notices))
    sent, gone = 0, False
    for notice in notices:
        delivered = False
        if not gone:
            delivered, gone = _post_to(caller, to, notice.message)
        if not delivered and notice.finding_id is not None:
            _release(db, notice, now)  # the next run tries again
        sent += int(delivered)
    return sent


def _release(db: Database, notice: _Notice, claimed_at: datetime) -> None:
    with db.unit_of_work() as session:
        record = repo.finding(session=session, finding_id=notice.finding_id)
        if record is not None and record.alerted_at == claimed_at:
            record.alerted_at = notice.previous_at
            record.alerted_severity = notice.previous_severity


# --- the owner's buttons -----------------------------------------------------------------------
@dataclass(frozen=True)
class Followup:
    """What a change that feeds the diagnosis (a workflow, the owner's self-assessment) sets
    going: the team's diagnosis, rerun soon and off the request path, since it may alert and
    alerts wait on Slack's pacing. `later` runs work elsewhere, e.g. `Background.submit`."""

    db: Database
    caller: Caller
    later: Callable[..., object]

    def tell(self, user_id: str, text: str) -> None:
        """DM a person about the change, off the request path."""
        self.later(self.caller.call, "chat.postMessage", channel=user_id, text=text)

    def rediagnose(self, *, team_id: int, now: datetime, trigger: str) -> None:
        """Bring the team's diagnosis up to date soon."""
        self.later(
            run_team, db=self.db, team_id=team_id, caller=self.caller, now=now, trigger=trigger
        )


class NotAllowed(Exception):
    """Only the people who receive a team's alerts may act on them."""


def act(
    *, db: Database, finding_id: int, user_id: str, action: str, now: datetime
) -> FindingRecord:
    """Acknowledge, snooze (two weeks) or mark not applicable; returns the updated record."""
    with db.unit_of_work() as session:
        record = repo.finding(session=session, finding_id=finding_id)
        if record is None:
            raise LookupError(finding_id)
        team = session.get(Team, record.team_id)
        if user_id not in recipients(session, team):
            raise NotAllowed(user_id)
        if action == "ack":
            record.acknowledged_at, record.acknowledged_by = now, user_id
        elif action == "snooze":
            record.snoozed_until = now + SNOOZE
        elif action == "not_applicable":
            record.not_applicable, record.not_applicable_by = True, user_id
        elif action == "undo_not_applicable":
            record.not_applicable, record.not_applicable_by = False, None
        else:
            raise ValueError(action)
        session.flush()
        session.expunge(record)
        return record


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def digest(*, db: Database, team_id: int, caller: Caller, now: datetime) -> bool:
    """The weekly summary to the owner, at most once a week; True when it went out."""
    from bot.services import trend
    from bot.services.owner import stored_diagnosis

    with db.unit_of_work() as session:
        team = team_repo.get(session=session, team_id=team_id)
        if team.digest_sent_on is not None and team.digest_sent_on >= week_start(now.date()):
            return False
        found = stored_diagnosis(session, team_id)
        if found is None:
            return False
        members = len(team_repo.active_members(session=session, team_id=team_id))
        window = repo.open_recovery(session=session, team_id=team_id)
        message = blocks.status(
            team.name,
            found,
            member_count=members,
            min_group_size=team.min_group_size,
            recovery_day=(now.date() - window.opened_on).days if window else None,
        )
        to = recipients(session, team)
    delivered, _ = _post_to(caller, to, message)
    if delivered:
        with db.unit_of_work() as session:
            team_repo.get(session=session, team_id=team_id).digest_sent_on = now.date()
        # After the digest is recorded as sent: the chart never holds it up or sends it twice.
        trend.send_chart(db=db, team_id=team_id, caller=caller, to=to, now=now)
    return delivered
