"""Repository for pulse rounds, the delivery ledger and answers. Never commits."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.storage.models import (
    Answer,
    ConfidentialPending,
    ConfidentialResponse,
    ConfidentialTally,
    Delivery,
    DeliveryStatus,
    Member,
    PulseRound,
    RoundStatus,
)

# Pending confidential answers take random ids below this (they fit a 32-bit integer).
PENDING_IDS = 2**31 - 2


def _insert(session: Session, table):
    """INSERT with ON CONFLICT support on both SQLite and PostgreSQL."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


# --- rounds ------------------------------------------------------------------------------------
def rounds_between(
    *, session: Session, team_id: int, start: date, end: date
) -> dict[date, PulseRound]:
    """The team's rounds whose local date is in [start, end], by date."""
    rows = session.scalars(
        select(PulseRound).where(
            PulseRound.team_id == team_id,
            PulseRound.local_date >= start,
            PulseRound.local_date <= end,
        )
    ).all()
    return {row.local_date: row for row in rows}


def add_round(*, session: Session, **fields: object) -> PulseRound | None:
    """Insert a round; None when the team already has one on that local date."""
    statement = (
        _insert(session, PulseRound.__table__)
        .values(**fields)
        .on_conflict_do_nothing(index_elements=["team_id", "local_date"])
        .returning(PulseRound.id)
    )
    new_id = session.execute(statement).scalar()
    return session.get(PulseRound, new_id) if new_id is not None else None


def round_count(*, session: Session, team_id: int) -> int:
    """How many rounds the team has had (missed ones included)."""
    return session.scalar(select(func.count()).where(PulseRound.team_id == team_id)) or 0


def open_rounds(*, session: Session, team_id: int) -> Sequence[PulseRound]:
    """The team's open rounds, oldest first."""
    return session.scalars(
        select(PulseRound)
        .where(PulseRound.team_id == team_id, PulseRound.status == RoundStatus.OPEN)
        .order_by(PulseRound.local_date)
    ).all()


def unnotified_missed(*, session: Session, team_id: int) -> Sequence[PulseRound]:
    """Missed rounds the owner has not been told about yet."""
    return session.scalars(
        select(PulseRound)
        .where(
            PulseRound.team_id == team_id,
            PulseRound.status == RoundStatus.MISSED,
            PulseRound.owner_notified_at.is_(None),
        )
        .order_by(PulseRound.local_date)
    ).all()


def take_lease(
    *, session: Session, round_id: int, owner: str, now: datetime, until: datetime
) -> bool:
    """Become the one process fanning out this round, unless a live holder has it."""
    result = session.execute(
        update(PulseRound)
        .where(
            PulseRound.id == round_id,
            (PulseRound.lease_owner.is_(None))
            | (PulseRound.lease_owner == owner)
            | (PulseRound.lease_until < now),
        )
        .values(lease_owner=owner, lease_until=until)
    )
    return result.rowcount == 1


def release_lease(*, session: Session, round_id: int, owner: str) -> None:
    """Give the round's fan-out lease back."""
    session.execute(
        update(PulseRound)
        .where(PulseRound.id == round_id, PulseRound.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )


# --- deliveries --------------------------------------------------------------------------------
def deliveries(*, session: Session, round_id: int) -> Sequence[Delivery]:
    """Every ledger row of a round."""
    return session.scalars(select(Delivery).where(Delivery.round_id == round_id)).all()


def claim_new(*, session: Session, **fields: object) -> int | None:
    """Claim a (round, member) pair by inserting its ledger row; None if it is already there."""
    statement = (
        _insert(session, Delivery.__table__)
        .values(**fields)
        .on_conflict_do_nothing(index_elements=["round_id", "member_id"])
        .returning(Delivery.id)
    )
    return session.execute(statement).scalar()


def claim_existing(
    *, session: Session, delivery_id: int, expected: DeliveryStatus, owner: str, now: datetime
) -> bool:
    """Move a row from `expected` to SENDING for `owner`; False if someone else moved it."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == expected)
        .values(status=DeliveryStatus.SENDING, claimed_by=owner, claimed_at=now)
    )
    return result.rowcount == 1


def delivery_for_update(*, session: Session, delivery_id: int) -> Delivery | None:
    """A ledger row, locked against concurrent clicks where the database can lock rows."""
    return session.scalar(select(Delivery).where(Delivery.id == delivery_id).with_for_update())


def member(*, session: Session, member_id: int) -> Member | None:
    """A member by id."""
    return session.get(Member, member_id)


def deliveries_of_member(*, session: Session, member_ids: Sequence[int]) -> Sequence[Delivery]:
    """Every delivery to these memberships, newest round first."""
    return session.scalars(
        select(Delivery)
        .where(Delivery.member_id.in_(member_ids))
        .order_by(Delivery.round_id.desc())
    ).all()


# --- answers -----------------------------------------------------------------------------------
def answers(*, session: Session, delivery_id: int) -> dict[str, Answer]:
    """A delivery's stored (non-confidential) answers by question id."""
    rows = session.scalars(select(Answer).where(Answer.delivery_id == delivery_id)).all()
    return {row.question_id: row for row in rows}


def upsert_answer(
    *,
    session: Session,
    delivery_id: int,
    question_id: str,
    version: int,
    value: list[str],
    now: datetime,
    role_notice: str | None = None,
) -> None:
    """Store or replace one answer; safe under double clicks and retried requests.

    `role_notice` goes with the value: a changed answer carries the notice shown when it changed.
    """
    statement = _insert(session, Answer.__table__).values(
        delivery_id=delivery_id,
        question_id=question_id,
        question_version=version,
        value=value,
        answered_at=now,
        updated_at=now,
        role_notice=role_notice,
    )
    statement = statement.on_conflict_do_update(
        # The new values, bound again: cheaper to build than a reference to `excluded`.
        index_elements=["delivery_id", "question_id"],
        set_={
            "value": value,
            "question_version": version,
            "updated_at": now,
            "role_notice": role_notice,
        },
    )
    session.execute(statement)


def delete_answer(*, session: Session, delivery_id: int, question_id: str) -> None:
    """Remove one answer (a cleared multi-select)."""
    session.execute(
        delete(Answer).where(Answer.delivery_id == delivery_id, Answer.question_id == question_id)
    )


def confidential_answered(*, session: Session, delivery_id: int) -> frozenset[str]:
    """The confidential questions this delivery has answered (not what was answered)."""
    return frozenset(
        session.scalars(
            select(ConfidentialResponse.question_id).where(
                ConfidentialResponse.delivery_id == delivery_id
            )
        ).all()
    )


def mark_confidential(*, session: Session, delivery_id: int, question_id: str) -> bool:
    """Note that the delivery answered (not what); False if it already had."""
    marked = session.execute(
        _insert(session, ConfidentialResponse.__table__)
        .values(delivery_id=delivery_id, question_id=question_id)
        .on_conflict_do_nothing(index_elements=["delivery_id", "question_id"])
        .returning(ConfidentialResponse.question_id)
    ).scalar()
    return marked is not None


def unmark_confidential(*, session: Session, delivery_id: int, question_id: str) -> None:
    """Take back a mark whose answer could not be kept."""
    session.execute(
        delete(ConfidentialResponse).where(
            ConfidentialResponse.delivery_id == delivery_id,
            ConfidentialResponse.question_id == question_id,
        )
    )


def round_open_for_answers(*, session: Session, round_id: int) -> bool:
    """Whether the round is open, holding it open until this transaction ends.

    A round closes by updating its row; this waits for a close under way (PostgreSQL), so an
    answer is either in the pending rows that the close counts or refused.
    """
    status = session.scalar(
        select(PulseRound.status).where(PulseRound.id == round_id).with_for_update(read=True)
    )
    return status is RoundStatus.OPEN


def add_pending(*, session: Session, round_id: int, sealed: str) -> None:
    """Keep one sealed answer until its round closes, under a random id."""
    for _ in range(5):
        added = session.execute(
            _insert(session, ConfidentialPending.__table__)
            .values(id=secrets.randbelow(PENDING_IDS) + 1, round_id=round_id, sealed=sealed)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(ConfidentialPending.id)
        ).scalar()
        if added is not None:
            return
    raise RuntimeError("no free id for a pending confidential answer")


def pending(*, session: Session, round_id: int) -> Sequence[ConfidentialPending]:
    """The round's sealed answers."""
    return session.scalars(
        select(ConfidentialPending).where(ConfidentialPending.round_id == round_id)
    ).all()


def rounds_with_pending(*, session: Session, team_id: int) -> list[int]:
    """The team's rounds that are no longer open and still have sealed answers."""
    return list(
        session.scalars(
            select(PulseRound.id)
            .where(
                PulseRound.team_id == team_id,
                PulseRound.status != RoundStatus.OPEN,
                PulseRound.id.in_(select(ConfidentialPending.round_id)),
            )
            .order_by(PulseRound.id)
        ).all()
    )


def count_confidential(
    *, session: Session, round_id: int, counts: Mapping[tuple[str, int, str], int], taken: list[int]
) -> None:
    """Add counts per (question, version, option) to the round's tallies; drop the sealed rows.

    One statement per option, in key order, so nothing written follows the order of answers.
    """
    for (question_id, version, option_key), n in sorted(counts.items()):
        statement = _insert(session, ConfidentialTally.__table__).values(
            round_id=round_id,
            question_id=question_id,
            question_version=version,
            option_key=option_key,
            count=n,
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["round_id", "question_id", "question_version", "option_key"],
                set_={"count": ConfidentialTally.__table__.c.count + n},
            )
        )
    if taken:
        session.execute(delete(ConfidentialPending).where(ConfidentialPending.id.in_(taken)))


def rewrite_tallies(*, session: Session, round_id: int) -> None:
    """Rewrite a round's tallies in one statement, so every row carries the same last writer."""
    session.execute(
        update(ConfidentialTally)
        .where(ConfidentialTally.round_id == round_id)
        .values(count=ConfidentialTally.count + 0)
    )


def tallies(*, session: Session, round_id: int, question_id: str) -> dict[str, int]:
    """Counts per option for one confidential question in one round."""
    rows = session.execute(
        select(ConfidentialTally.option_key, func.sum(ConfidentialTally.count))
        .where(ConfidentialTally.round_id == round_id, ConfidentialTally.question_id == question_id)
        .group_by(ConfidentialTally.option_key)
    ).all()
    return {key: int(count) for key, count in rows}


def answered_questions(*, session: Session, member_id: int) -> frozenset[str]:
    """Every question this membership has ever answered (for once-per-person questions)."""
    return frozenset(
        session.scalars(
            select(Answer.question_id)
            .join(Delivery, Delivery.id == Answer.delivery_id)
            .where(Delivery.member_id == member_id)
        ).all()
    )


def delete_answers_of(*, session: Session, member_ids: Sequence[int]) -> int:
    """Delete every stored answer of these memberships; returns how many."""
    deliveries_of = select(Delivery.id).where(Delivery.member_id.in_(member_ids))
    result = session.execute(delete(Answer).where(Answer.delivery_id.in_(deliveries_of)))
    return result.rowcount or 0


def rounds_by_id(*, session: Session, round_ids: Sequence[int]) -> Sequence[PulseRound]:
    """Rounds by their ids."""
    return session.scalars(select(PulseRound).where(PulseRound.id.in_(round_ids))).all()


def open_queue(*, session: Session) -> tuple[int, dict[DeliveryStatus, int]]:
    """(open rounds, deliveries of open rounds by status): two indexed counts, no row loads."""
    is_open = PulseRound.status == RoundStatus.OPEN
    rounds = session.scalar(select(func.count()).select_from(PulseRound).where(is_open)) or 0
    rows = session.execute(
        select(Delivery.status, func.count())
        .join(PulseRound, Delivery.round_id == PulseRound.id)
        .where(is_open)
        .group_by(Delivery.status)
    ).all()
    return rounds, {DeliveryStatus(status): count for status, count in rows}
