"""Repository for the answers a rule may read on their own: those given under a role notice.

Never commits. The notice is returned as stored; the service decides which role it covers.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import Answer, Delivery, Member, PulseRound


def noticed_in_rounds(
    *, session: Session, round_ids: Sequence[int], question_id: str
) -> list[tuple[int, str, list[str]]]:
    """(round id, stored notice, value) of one question's answers given under a role notice."""
    if not round_ids:
        return []
    rows = session.execute(
        select(Delivery.round_id, Answer.role_notice, Answer.value)
        .join(Delivery, Delivery.id == Answer.delivery_id)
        .where(
            Delivery.round_id.in_(list(round_ids)),
            Answer.question_id == question_id,
            Answer.role_notice.is_not(None),
        )
    ).all()
    return [(round_id, notice, list(value or [])) for round_id, notice, value in rows]


def noticed_by_people(
    *, session: Session, team_id: int, user_ids: Collection[str], question_id: str
) -> list[tuple[str, str, list[str]]]:
    """(person, stored notice, value) of their answers given under a role notice, oldest first."""
    if not user_ids:
        return []
    rows = session.execute(
        select(Member.slack_user_id, Answer.role_notice, Answer.value)
        .join(Delivery, Delivery.member_id == Member.id)
        .join(PulseRound, PulseRound.id == Delivery.round_id)
        .join(Answer, Answer.delivery_id == Delivery.id)
        .where(
            Member.team_id == team_id,
            Member.slack_user_id.in_(list(user_ids)),
            Answer.question_id == question_id,
            Answer.role_notice.is_not(None),
        )
        .order_by(PulseRound.local_date, Answer.updated_at)
    ).all()
    return [(user_id, notice, list(value or [])) for user_id, notice, value in rows]
