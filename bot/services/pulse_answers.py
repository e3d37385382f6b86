"""Recording pulse answers at the click: checked, idempotent, and changeable until the close."""

from __future__ import annotations

import enum
import logging
import re
from dataclasses import dataclass
from datetime import datetime

from atlas.questions import Kind, Question, question, with_tools
from bot.services import pulse_view
from bot.services.pulse_view import PulseView
from bot.storage import pulse as repo
from bot.storage import teams as team_repo
from bot.storage.db import Database
from bot.storage.models import Delivery, Member, PulseRound, RoundStatus, Workspace
from bot.storage.sealing import SecretKeyMissing

log = logging.getLogger(__name__)

_USER_ID = re.compile(r"^[UW][A-Z0-9]{1,30}$")


class Refusal(enum.StrEnum):
    """Why a click changed nothing."""

    NOT_YOURS = "not_yours"
    CLOSED = "closed"
    UNKNOWN = "unknown"
    INVALID = "invalid"
    ALREADY_CONFIDENTIAL = "already_confidential"


@dataclass(frozen=True)
class AnswerResult:
    """Saved (`refusal` None, with the delivery for `current_view`), or why it was refused."""

    refusal: Refusal | None = None
    delivery_id: int | None = None


def record(
    *,
    db: Database,
    slack_team_id: str,
    user_id: str,
    delivery_id: int,
    question_id: str,
    values: list[str],
    now: datetime,
) -> AnswerResult:
    """Store one click. Only the recipient may answer, only while the round is open.

    A saved click carries its delivery id: the pulse as it now stands comes from
    `current_view`, after the reply.
    """
    with db.unit_of_work() as session:
        delivery = repo.delivery_for_update(session=session, delivery_id=delivery_id)
        if delivery is None:
            return AnswerResult(Refusal.UNKNOWN)
        workspace = session.get(Workspace, delivery.workspace_id)
        member = session.get(Member, delivery.member_id)
        if workspace.slack_team_id != slack_team_id or member.slack_user_id != user_id:
            return AnswerResult(Refusal.NOT_YOURS)
        rnd = session.get(PulseRound, delivery.round_id)
        if rnd.status is not RoundStatus.OPEN or now >= rnd.closes_at:
            return AnswerResult(Refusal.CLOSED)
        base = question(question_id)
        if base is None or question_id not in delivery.question_ids:
            return AnswerResult(Refusal.UNKNOWN)
        q = with_tools(base, team_repo.tools(session=session, team_id=rnd.team_id))
        cleaned = _validate(q, values)
        if cleaned is None:
            return AnswerResult(Refusal.INVALID)
        if q.confidential:
            if db.sealer is None:
                raise SecretKeyMissing("ATLAS_SECRET_KEY is needed for confidential questions")
            # This transaction names the person: it notes only that they answered. What they
            # answered is written in a transaction of its own, below.
            if not repo.mark_confidential(
                session=session, delivery_id=delivery.id, question_id=q.id
            ):
                return AnswerResult(Refusal.ALREADY_CONFIDENTIAL)
            sealed = db.sealer.seal(
                {"round": rnd.id, "question": q.id, "version": q.version, "option": cleaned[0]}
            )
        elif cleaned:
            # The usage answer keeps the roles its pulse names as reading it on its own (the
            # same data the pulse is built from): a rule reads it for those roles only.
            notice = pulse_view.notice_for(session, member) if q.visible_for_named_roles else ()
            repo.upsert_answer(
                session=session,
                delivery_id=delivery.id,
                question_id=q.id,
                version=q.version,
                value=cleaned,
                now=now,
                role_notice=pulse_view.encode_notice(notice),
            )
        else:
            repo.delete_answer(session=session, delivery_id=delivery.id, question_id=q.id)
        if delivery.responded_at is None:
            delivery.responded_at = now
        round_id = rnd.id
    if q.confidential and not _keep_sealed(db, delivery_id, q.id, round_id, sealed):
        return AnswerResult(Refusal.CLOSED)
    # Saved. The pulse as it now stands is built after the reply (`current_view`): the
    # person waits on this transaction, not on the view.
    return AnswerResult(delivery_id=delivery_id)


def _keep_sealed(
    db: Database, delivery_id: int, question_id: str, round_id: int, sealed: str
) -> bool:
    """Store a sealed confidential answer, apart from anything naming its person.

    False when the round closed in between; then, as when the answer cannot be stored, the
    person's mark is taken back so that they may answer again and nothing is half counted.
    """
    try:
        with db.unit_of_work() as session:
            if repo.round_open_for_answers(session=session, round_id=round_id):
                repo.add_pending(session=session, round_id=round_id, sealed=sealed)
                return True
    except Exception:
        _unmark(db, delivery_id, question_id)
        raise
    _unmark(db, delivery_id, question_id)
    return False


def _unmark(db: Database, delivery_id: int, question_id: str) -> None:
    try:
        with db.unit_of_work() as session:
            repo.unmark_confidential(
                session=session, delivery_id=delivery_id, question_id=question_id
            )
    except Exception:  # the answer is lost either way; the original error is the one to report
        log.exception("could not take back a confidential mark of delivery %s", delivery_id)


def current_view(*, db: Database, delivery_id: int, now: datetime) -> PulseView | None:
    """The pulse of one delivery as it stands now; None if it no longer exists."""
    with db.unit_of_work() as session:
        delivery = session.get(Delivery, delivery_id)
        return pulse_view.build(session, delivery, now=now) if delivery is not None else None


def _validate(q: Question, values: list[str]) -> list[str] | None:
    """The values if they fit the question, else None."""
    if q.kind is Kind.USER:
        if len(values) == 1 and _USER_ID.match(values[0] or ""):
            return values
        return [] if not values or values == [None] else None
    keys = {o.key for o in q.options}
    unique = list(dict.fromkeys(v for v in values if v is not None))
    if any(v not in keys for v in unique):
        return None
    if q.kind is Kind.SINGLE:
        return unique if len(unique) == 1 else None
    return unique
