"""A person's own controls: pause and resume, what is stored about them, exporting and
deleting it."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from atlas.questions import question, with_tools
from bot.ids import COMMAND
from bot.outbound import Caller, CallResult, Outcome, upload_to_dm
from bot.services import retention
from bot.services.retention import Erased
from bot.storage import personal
from bot.storage import pulse as repo
from bot.storage import teams as team_repo
from bot.storage.db import Database
from bot.storage.models import Answer, Member, PulseRound, Role, Team, WorkflowRecord

log = logging.getLogger(__name__)


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
                words = _answer_words(answer, tools)
                if words is not None:
                    stored.append(words)
            confidential = len(repo.confidential_answered(session=session, delivery_id=delivery.id))
            if stored or confidential:
                rounds.append(StoredRound(rnd.local_date, team.name, stored, confidential))
        return MyData(teams=teams, rounds=rounds)


def delete_my_data(*, db: Database, slack_team_id: str, user_id: str, now: datetime) -> Erased:
    """Delete or unlink everything stored that names this person (`bot.services.retention`)."""
    return retention.erase(db=db, slack_team_id=slack_team_id, user_id=user_id, now=now)


def _answer_words(answer: Answer, tools: tuple[tuple[str, str], ...]) -> StoredAnswer | None:
    """One stored answer as the question's text and the chosen options' labels."""
    q = question(answer.question_id)
    if q is None:
        return None
    q = with_tools(q, tools)
    labels = [
        (opt.label if (opt := q.option(v)) else (f"<@{v}>" if v.startswith(("U", "W")) else v))
        for v in answer.value
    ]
    return StoredAnswer(q.text, ", ".join(labels), q.id)


CONFIDENTIAL_NOTE = (
    "Answers to confidential questions are not stored with you: they were counted into totals "
    "per option without your name, so they cannot be listed here. Each pulse below says how "
    "many confidential questions you answered."
)


def _when(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_my_data(*, db: Database, slack_team_id: str, user_id: str, now: datetime) -> dict:
    """Everything stored that names this person, as plain JSON-ready data."""
    with db.unit_of_work() as session:
        workspace_id = personal.workspace_id(session=session, slack_team_id=slack_team_id)
        members = (
            personal.memberships(session=session, workspace_id=workspace_id, slack_user_id=user_id)
            if workspace_id is not None
            else []
        )
        names = personal.team_names(session=session, team_ids=[m.team_id for m in members])
        data: dict = {
            "exported_at": now.isoformat(),
            "slack_team_id": slack_team_id,
            "slack_user_id": user_id,
            "memberships": [_membership(m, names) for m in members],
            "confidential_answers": CONFIDENTIAL_NOTE,
            "pulses": _pulses(session, members, names),
        }
        if workspace_id is None:
            empty = ("office_hours", "check_ins", "workflows", "self_assessment_marks", "findings")
            return data | {key: [] for key in empty}
        ids = {"session": session, "workspace_id": workspace_id, "slack_user_id": user_id}
        data["office_hours"] = [
            {
                "team": team,
                "date": _when(meeting.local_date),
                "going": rsvp.going,
                "replied_at": _when(rsvp.rsvp_at),
                "attended_at": _when(rsvp.attended_at),
            }
            for rsvp, meeting, team in personal.rsvps(**ids)
        ]
        data["check_ins"] = _check_ins(session, members, user_id)
        data["workflows"] = [
            _workflow(w, user_id, session) for w in personal.workflows_naming(**ids)
        ]
        data["self_assessment_marks"] = [
            {
                "team": _team_name(session, mark.team_id),
                "mode": mark.mode_id,
                "applies": mark.applies,
                "note": mark.note,
                "marked_at": _when(mark.marked_at),
            }
            for mark in personal.marks_by(**ids)
        ]
        data["findings"] = [
            {
                "team": _team_name(session, finding.team_id),
                "mode": finding.mode_id,
                "acknowledged_at": _when(finding.acknowledged_at)
                if finding.acknowledged_by == user_id
                else None,
                "marked_not_applicable": finding.not_applicable_by == user_id,
            }
            for finding in personal.findings_by(**ids)
        ]
        return data


def _team_name(session: Session, team_id: int) -> str:
    return personal.team_names(session=session, team_ids=[team_id]).get(team_id, "")


def _membership(member: Member, names: dict[int, str]) -> dict:
    return {
        "team": names.get(member.team_id, ""),
        "role": member.role.value,
        "active": member.active,
        "joined_at": _when(member.joined_at),
        "left_at": _when(member.left_at),
        "time_zone": member.timezone,
        "paused": member.paused,
        "paused_until": _when(member.paused_until),
    }


def _pulses(session: Session, members: Sequence[Member], names: dict[int, str]) -> list[dict]:
    pulses = []
    rows = personal.deliveries_with_rounds(session=session, member_ids=[m.id for m in members])
    for delivery, rnd in rows:
        tools = team_repo.tools(session=session, team_id=rnd.team_id)
        answers = []
        for answer in repo.answers(session=session, delivery_id=delivery.id).values():
            words = _answer_words(answer, tools)
            answers.append(
                {
                    "question_id": answer.question_id,
                    "question": words.question if words else answer.question_id,
                    "answer": words.answer if words else ", ".join(answer.value),
                    "values": list(answer.value),
                    "answered_at": _when(answer.answered_at),
                    "changed_at": _when(answer.updated_at),
                }
            )
        asked = [q.text for qid in delivery.question_ids or [] if (q := question(qid))]
        pulses.append(
            {
                "team": names.get(rnd.team_id, ""),
                "round_date": _when(rnd.local_date),
                "round_number": rnd.number,
                "round_status": rnd.status.value,
                "delivery_status": delivery.status.value,
                "sent_at": _when(delivery.sent_at),
                "responded_at": _when(delivery.responded_at),
                "reminded": delivery.reminder_status is not None,
                "questions_asked": asked,
                "answers": answers,
                "confidential_questions_answered": len(
                    repo.confidential_answered(session=session, delivery_id=delivery.id)
                ),
            }
        )
    return pulses


def _check_ins(session: Session, members: Sequence[Member], user_id: str) -> list[dict]:
    """The check-ins of teams the person owns, and any they answered elsewhere."""
    owned = [m.team_id for m in members if m.role is Role.OWNER]
    rows = personal.check_ins(session=session, team_ids=[m.team_id for m in members])
    names = personal.team_names(session=session, team_ids=[r.team_id for r in rows])
    return [
        {
            "team": names.get(row.team_id, ""),
            "week_of": _when(row.week_of),
            "sent_to_you": user_id in (row.sent_to or []),
            "on_track": row.on_track,
            "shipped": row.shipped,
            "answered_at": _when(row.answered_at),
            "answered_by_you": row.answered_by == user_id,
        }
        for row in rows
        if row.team_id in owned or row.answered_by == user_id
    ]


def _workflow(workflow: WorkflowRecord, user_id: str, session: Session) -> dict:
    return {
        "team": _team_name(session, workflow.team_id),
        "name": workflow.name,
        "you_own_it": workflow.owner_user_id == user_id,
        "you_added_it": workflow.created_by == user_id,
        "shipped_on": _when(workflow.shipped_on),
        "minutes_before": workflow.minutes_before,
        "minutes_after": workflow.minutes_after,
        "added_at": _when(workflow.created_at),
        "archived_at": _when(workflow.archived_at),
    }


def export_filename(now: datetime) -> str:
    """The name of the file a person's export arrives as."""
    return f"adoption-atlas-my-data-{now.date().isoformat()}.json"


def send_my_data(
    *, db: Database, caller: Caller, slack_team_id: str, user_id: str, now: datetime
) -> CallResult:
    """Build the person's export and upload it into their DM (run in the background)."""
    data = export_my_data(db=db, slack_team_id=slack_team_id, user_id=user_id, now=now)
    content = json.dumps(data, indent=2, ensure_ascii=False).encode()
    result = upload_to_dm(
        caller,
        user_id,
        content=content,
        filename=export_filename(now),
        title="Everything Adoption Atlas stores about you",
        initial_comment="Here is everything Adoption Atlas stores that names you, as JSON. "
        f"`{COMMAND} me` shows it, and deletes it.",
    )
    if result.outcome is not Outcome.OK:
        log.warning("a personal export did not reach its person (%s)", result.error)
    return result


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
