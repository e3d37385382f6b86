"""A person's own controls: pause and resume, what is stored about them, deleting it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from atlas.questions import question, with_tools
from bot.outbound import Caller, Outcome
from bot.storage import pulse as repo
from bot.storage import teams as team_repo
from bot.storage.db import Database
from bot.storage.models import Member, PulseRound, Role, Team


def _memberships(session: Session, slack_team_id: str, user_id: str) -> list[Member]:
    return list(
        team_repo.active_memberships(
            session=session, slack_team_id=slack_team_id, slack_user_id=user_id
        )
    )


def pause(*, db: Database, slack_team_id: str, user_id: str, until: date | None) -> list[str]:
    """Pause the pulse for every team the person is in; returns those teams' names."""
    with db.unit_of_work() as session:
        members = _memberships(session, slack_team_id, user_id)
        for member in members:
            member.paused, member.paused_until = True, until
        return [session.get(Team, m.team_id).name for m in members]


def resume(*, db: Database, slack_team_id: str, user_id: str) -> list[str]:
    """Resume the pulse everywhere the person is paused; returns those teams' names."""
    with db.unit_of_work() as session:
        members = [m for m in _memberships(session, slack_team_id, user_id) if m.paused]
        for member in members:
            member.paused, member.paused_until = False, None
        return [session.get(Team, m.team_id).name for m in members]


@dataclass(frozen=True)
class StoredAnswer:
    """One stored answer, as words."""

    question: str
    answer: str
    question_id: str = ""


@dataclass(frozen=True)
class StoredRound:
    """What is stored about one person for one round."""

    local_date: date
    team_name: str
    answers: list[StoredAnswer]
    confidential_answered: int


@dataclass(frozen=True)
class MyData:
    """Everything the app keeps about a person, for `/atlas me`."""

    teams: list[tuple[str, Role, bool, date | None]]  # name, role, paused, paused_until
    rounds: list[StoredRound] = field(default_factory=list)

    @property
    def answer_count(self) -> int:
        """How many answers could be deleted."""
        return sum(len(r.answers) for r in self.rounds)


def my_data(*, db: Database, slack_team_id: str, user_id: str) -> MyData:
    """What the app stores about this person (confidential answers cannot be traced: counted)."""
    with db.unit_of_work() as session:
        members = _memberships(session, slack_team_id, user_id)
        teams = [
            (session.get(Team, m.team_id).name, m.role, m.paused, m.paused_until) for m in members
        ]
        rounds = []
        for delivery in repo.deliveries_of_member(
            session=session, member_ids=[m.id for m in members]
        ):
            rnd = session.get(PulseRound, delivery.round_id)
            team = session.get(Team, rnd.team_id)
            tools = team_repo.tools(session=session, team_id=team.id)
            stored = []
            # In the order the pulse asked, not the order the clicks happened to be saved in.
            asked = {qid: n for n, qid in enumerate(delivery.question_ids or [])}
            given = repo.answers(session=session, delivery_id=delivery.id).values()
            for answer in sorted(
                given, key=lambda a: (asked.get(a.question_id, len(asked)), a.question_id)
            ):
                q = question(answer.question_id)
                if q is None:
                    continue
                q = with_tools(q, tools)
                labels = [
                    (
                        opt.label
                        if (opt := q.option(v))
                        else (f"<@{v}>" if v.startswith(("U", "W")) else v)
                    )
                    for v in answer.value
                ]
                stored.append(StoredAnswer(q.text, ", ".join(labels), q.id))
            confidential = len(repo.confidential_answered(session=session, delivery_id=delivery.id))
            if stored or confidential:
                rounds.append(StoredRound(rnd.local_date, team.name, stored, confidential))
        return MyData(teams=teams, rounds=rounds)


def delete_my_answers(*, db: Database, slack_team_id: str, user_id: str) -> int:
    """Delete every stored answer of this person; returns how many were deleted.

    Confidential answers were never stored with the person, so there is nothing of theirs to
    delete; the record that they answered stays only so that nobody can answer twice.
    """
    with db.unit_of_work() as session:
        member_ids = [m.id for m in _memberships(session, slack_team_id, user_id)]
        if not member_ids:
            return 0
        return repo.delete_answers_of(session=session, member_ids=member_ids)


def owned_teams(*, db: Database, slack_team_id: str, user_id: str) -> list[tuple[int, str]]:
    """The teams this person owns: (id, name)."""
    with db.unit_of_work() as session:
        return [
            (m.team_id, session.get(Team, m.team_id).name)
            for m in _memberships(session, slack_team_id, user_id)
            if m.role is Role.OWNER
        ]


def sync_profiles(
    *, db: Database, team_id: int, caller: Caller, now: datetime, max_age_hours: int = 12
) -> int:
    """Refresh time zone, bot, deactivated and guest flags from Slack for stale members."""
    with db.unit_of_work() as session:
        stale = [
            (m.id, m.slack_user_id)
            for m in team_repo.active_members(session=session, team_id=team_id)
            if m.profile_synced_at is None
            or (now - m.profile_synced_at).total_seconds() > max_age_hours * 3600
        ]
    refreshed = 0
    for member_id, user_id in stale:
        result = caller.call("users.info", user=user_id)
        if result.outcome is Outcome.STOP:
            break
        with db.unit_of_work() as session:
            member = session.get(Member, member_id)
            if result.outcome is Outcome.OK:
                user = result.data.get("user", {})
                member.timezone = user.get("tz") or member.timezone
                member.is_bot = bool(user.get("is_bot")) or user.get("id") == "USLACKBOT"
                member.is_deleted = bool(user.get("deleted"))
                member.is_guest = bool(user.get("is_restricted") or user.get("is_ultra_restricted"))
                member.is_admin = bool(user.get("is_admin") or user.get("is_owner"))
                member.profile_synced_at = now
                refreshed += 1
            elif result.outcome is Outcome.FAILED and result.error == "user_not_found":
                member.is_deleted, member.profile_synced_at = True, now
    return refreshed
