"""Repository for reports (the Home tab, the CSV export, the trend chart). Never commits."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import PulseRound, RoundStatus


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
