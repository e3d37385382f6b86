"""What one person's pulse message shows: the data behind `blocks.pulse`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from atlas.diagnosis.model import Notice
from atlas.questions import Question, question, with_tools
from bot.scheduling.calendar import zone
from bot.storage import pulse as repo
from bot.storage import rituals
from bot.storage import teams as team_repo
from bot.storage.models import Delivery, Member, PulseRound, Role, RoundStatus, Team


@dataclass(frozen=True)
class PulseView:
    """Everything the pulse DM needs, as plain data."""

    delivery_id: int
    team_name: str
    questions: tuple[Question, ...]
    answers: dict[str, list[str]]
    confidential_done: frozenset[str]
    closes_local: datetime
    is_open: bool
    min_group_size: int
    role: Role
    reminder: bool = False
    owns_workflow: bool = False  # owns a workflow in the registry (read by mode 3.5)

    @property
    def notice(self) -> tuple[Notice, ...]:
        """The roles for which this pulse tells its person their usage answer is read alone."""
        return role_notice(self.role, self.owns_workflow)


_ROLE_NOTICES = {Role.AI_LEAD: Notice.AI_LEAD, Role.EXECUTIVE_SPONSOR: Notice.EXECUTIVE_SPONSOR}


def role_notice(role: Role, owns_workflow: bool) -> tuple[Notice, ...]:
    """The notices a person with this role and workflow ownership is shown, in a fixed order."""
    shown = [_ROLE_NOTICES[role]] if role in _ROLE_NOTICES else []
    return (*shown, *([Notice.WORKFLOW_OWNER] if owns_workflow else []))


def notice_for(session: Session, member: Member) -> tuple[Notice, ...]:
    """The notices the person's pulse shows as of now (what `build` would show them)."""
    owns = rituals.owns_workflow(
        session=session, team_id=member.team_id, user_id=member.slack_user_id
    )
    return role_notice(member.role, owns)


def encode_notice(notice: tuple[Notice, ...]) -> str | None:
    """The stored form of a notice: its values, space-separated; None for no notice."""
    return " ".join(n.value for n in notice) or None


def decode_notice(stored: str | None) -> frozenset[Notice]:
    """The notices an answer was given under; unknown words are ignored."""
    known = {n.value for n in Notice}
    return frozenset(Notice(word) for word in (stored or "").split() if word in known)


def build(
    session: Session, delivery: Delivery, *, now: datetime, reminder: bool = False
) -> PulseView:
    """Assemble the view of one delivery from storage."""
    rnd: PulseRound = session.get(PulseRound, delivery.round_id)
    member: Member = session.get(Member, delivery.member_id)
    team: Team = session.get(Team, rnd.team_id)
    tools = team_repo.tools(session=session, team_id=team.id)
    questions = tuple(
        with_tools(q, tools) for q in (question(qid) for qid in delivery.question_ids) if q
    )
    stored = repo.answers(session=session, delivery_id=delivery.id)
    return PulseView(
        delivery_id=delivery.id,
        team_name=team.name,
        questions=questions,
        answers={qid: list(a.value) for qid, a in stored.items()},
        confidential_done=repo.confidential_answered(session=session, delivery_id=delivery.id),
        closes_local=rnd.closes_at.astimezone(zone(member.timezone, team.timezone)),
        is_open=rnd.status == RoundStatus.OPEN and now < rnd.closes_at,
        min_group_size=team.min_group_size,
        role=member.role,
        reminder=reminder,
        owns_workflow=rituals.owns_workflow(
            session=session, team_id=team.id, user_id=member.slack_user_id
        ),
    )
