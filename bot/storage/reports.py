"""Repository for reports (the Home tab, the CSV export, the trend chart). Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import case, func, select, union
from sqlalchemy.orm import Session

from bot.storage.models import (
    Answer,
    ConfidentialResponse,
    Delivery,
    DeliveryStatus,
    PublishedFigures,
    PulseRound,
    RoundStatus,
    utcnow,
)


def closed_rounds(
    *,
    session: Session,
    team_id: int,
    since: date | None = None,
    until: date | None = None,
) -> list[PulseRound]:
    """The team's closed rounds whose local date is within [since, until], oldest first."""
    query = select(PulseRound).where(
        PulseRound.team_id == team_id, PulseRound.status == RoundStatus.CLOSED
    )
    if since is not None:
        query = query.where(PulseRound.local_date >= since)
    if until is not None:
        query = query.where(PulseRound.local_date <= until)
    return list(session.scalars(query.order_by(PulseRound.local_date)).all())


def round_counts(*, session: Session, round_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Per round: (people the pulse reached, people with an answer or answered mark stored).

    Respondents are counted from what is stored now, never from a stamp set at the first
    click: someone who deleted their answers is no longer counted.
    """
    if not round_ids:
        return {}
    mine = Delivery.round_id.in_(round_ids)
    answered = union(
        select(Answer.delivery_id).join(Delivery, Delivery.id == Answer.delivery_id).where(mine),
        select(ConfidentialResponse.delivery_id)
        .join(Delivery, Delivery.id == ConfidentialResponse.delivery_id)
        .where(mine),
    ).subquery()
    responded = dict(
        session.execute(
            select(Delivery.round_id, func.count())
            .join(answered, answered.c.delivery_id == Delivery.id)
            .group_by(Delivery.round_id)
        ).all()
    )
    sent = session.execute(
        select(
            Delivery.round_id,
            func.sum(case((Delivery.status == DeliveryStatus.SENT, 1), else_=0)),
        )
        .where(mine)
        .group_by(Delivery.round_id)
    ).all()
    return {rid: (int(n or 0), int(responded.get(rid, 0))) for rid, n in sent}


def published(*, session: Session, round_ids: Sequence[int]) -> dict[int, dict]:
    """Per round: its figures as they were last shown (rounds never shown are absent)."""
    if not round_ids:
        return {}
    rows = session.scalars(select(PublishedFigures).where(PublishedFigures.round_id.in_(round_ids)))
    return {row.round_id: row.figures for row in rows}


def publish(*, session: Session, round_id: int, figures: dict) -> None:
    """Record the figures of a round as the ones now shown, replacing any earlier record."""
    row = session.get(PublishedFigures, round_id)
    if row is None:
        session.add(PublishedFigures(round_id=round_id, figures=figures))
    else:
        row.figures, row.published_at = figures, utcnow()
