"""Repository for the diagnosis: aggregated pulse signals, findings, marks, recovery, runs."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import String, case, cast, func, select
from sqlalchemy.orm import Session

from bot.storage.models import (
    Answer,
    ConfidentialTally,
    Delivery,
    DeliveryStatus,
    DiagnosisRun,
    FindingRecord,
    Member,
    PulseRound,
    RecoveryWindowRecord,
    Role,
    RoundStatus,
    SelfAssessment,
)

NAMED_ROLES = (Role.AI_LEAD, Role.EXECUTIVE_SPONSOR)


def recent_rounds(*, session: Session, team_id: int, limit: int) -> list[PulseRound]:
    """The team's last `limit` rounds that were held (missed ones have no answers), oldest first."""
    rows = session.scalars(
        select(PulseRound)
        .where(PulseRound.team_id == team_id, PulseRound.status != RoundStatus.MISSED)
        .order_by(PulseRound.local_date.desc())
        .limit(limit)
    ).all()
    return list(reversed(rows))


def round_counts(*, session: Session, round_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Per round: (people the pulse reached, people who answered anything)."""
    rows = session.execute(
        select(
            Delivery.round_id,
            func.sum(case((Delivery.status == DeliveryStatus.SENT, 1), else_=0)),
            func.count(Delivery.responded_at),
        )
        .where(Delivery.round_id.in_(round_ids))
        .group_by(Delivery.round_id)
    ).all()
    return {round_id: (int(sent or 0), int(answered or 0)) for round_id, sent, answered in rows}


def answer_counts(
    *, session: Session, round_ids: Sequence[int]
) -> list[tuple[int, Role, str, list[str], int]]:
    """(round id, the answerers' role, question id, value, how many gave it), grouped in SQL.

    A year of a big team is a few hundred thousand answers but only a few thousand distinct
    (round, role, question, value) groups, so the database counts and Python decodes each
    distinct value once.
    """
    value_text = cast(Answer.value, String)
    rows = session.execute(
        select(Delivery.round_id, Member.role, Answer.question_id, value_text, func.count())
        .join(Delivery, Delivery.id == Answer.delivery_id)
        .join(Member, Member.id == Delivery.member_id)
        .where(Delivery.round_id.in_(round_ids))
        .group_by(Delivery.round_id, Member.role, Answer.question_id, value_text)
    ).all()
    decoded: dict[str, list[str]] = {}
    result = []
    for round_id, role, question_id, text, count in rows:
        if text not in decoded:
            value = json.loads(text)
            decoded[text] = value if isinstance(value, list) else [value]
        result.append((round_id, role, question_id, decoded[text], int(count)))
    return result


def confidential_counts(
    *, session: Session, round_ids: Sequence[int]
) -> dict[int, dict[str, dict[str, int]]]:
    """Per round, per confidential question: counts per option."""
    result: dict[int, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    rows = session.execute(
        select(
            ConfidentialTally.round_id,
            ConfidentialTally.question_id,
            ConfidentialTally.option_key,
            func.sum(ConfidentialTally.count),
        )
        .where(ConfidentialTally.round_id.in_(round_ids))
        .group_by(
            ConfidentialTally.round_id, ConfidentialTally.question_id, ConfidentialTally.option_key
        )
    ).all()
    for round_id, question_id, option, count in rows:
        result[round_id][question_id][option] = int(count)
    return result


def marks(*, session: Session, team_id: int) -> Sequence[SelfAssessment]:
    """The owner's self-assessment marks."""
    return session.scalars(select(SelfAssessment).where(SelfAssessment.team_id == team_id)).all()


def mark(*, session: Session, team_id: int, mode_id: str) -> SelfAssessment | None:
    """One mark."""
    return session.get(SelfAssessment, (team_id, mode_id))


def open_recovery(*, session: Session, team_id: int) -> RecoveryWindowRecord | None:
    """The team's open recovery window, if any."""
    return session.scalar(
        select(RecoveryWindowRecord).where(
            RecoveryWindowRecord.team_id == team_id, RecoveryWindowRecord.closed_on.is_(None)
        )
    )


def findings(*, session: Session, team_id: int) -> dict[str, FindingRecord]:
    """The stored findings of a team by mode id."""
    rows = session.scalars(select(FindingRecord).where(FindingRecord.team_id == team_id))
    return {row.mode_id: row for row in rows}


def finding(*, session: Session, finding_id: int) -> FindingRecord | None:
    """A stored finding by id."""
    return session.get(FindingRecord, finding_id)


def start_run(*, session: Session, team_id: int, trigger: str, now: datetime) -> int:
    """Record that a run began; returns its id."""
    run = DiagnosisRun(team_id=team_id, trigger=trigger, started_at=now)
    session.add(run)
    session.flush()
    return run.id


def finish_run(
    *,
    session: Session,
    run_id: int,
    now: datetime,
    ok: bool,
    detected: int = 0,
    alerts_sent: int = 0,
    error: str | None = None,
) -> None:
    """Record how a run ended."""
    run = session.get(DiagnosisRun, run_id)
    run.finished_at, run.ok, run.detected, run.alerts_sent = now, ok, detected, alerts_sent
    run.error = error[:200] if error else None


def runs(*, session: Session, team_id: int) -> Sequence[DiagnosisRun]:
    """Every run of a team, oldest first."""
    return session.scalars(
        select(DiagnosisRun).where(DiagnosisRun.team_id == team_id).order_by(DiagnosisRun.id)
    ).all()
