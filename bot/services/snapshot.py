"""Turning stored pulse data into the plain `TeamSnapshot` the diagnosis engine reads."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from sqlalchemy.orm import Session

from atlas.diagnosis.model import (
    CheckIn,
    Mark,
    Notice,
    OfficeHoursWeek,
    RecoveryWindow,
    RoundStats,
    TeamSnapshot,
    Workflow,
)
from bot.services import trend
from bot.services.pulse import eligible
from bot.services.pulse_view import decode_notice
from bot.storage import diagnosis as repo
from bot.storage import reports, rituals, role_answers
from bot.storage import teams as team_repo
from bot.storage.models import PulseRound, Role, RoundStatus, Team

MAX_ROUNDS = 52  # a year of weekly rounds is all any rule looks at
USAGE = "ai_frequency"  # the one answer the pulse may name as read on its own for a role
ROUND_ROLES = (Notice.AI_LEAD, Notice.EXECUTIVE_SPONSOR)


def build(session: Session, team: Team, now: datetime) -> TeamSnapshot:
    """Aggregate one team's stored signals as of `now`."""
    members = team_repo.active_members(session=session, team_id=team.id)
    roles: dict[str, list[str]] = defaultdict(list)
    for member in members:
        if member.role is not Role.MEMBER:
            roles[member.role.value].append(member.slack_user_id)
    rounds = repo.recent_rounds(session=session, team_id=team.id, limit=MAX_ROUNDS)
    ids = [r.id for r in rounds]
    counts = reports.round_counts(session=session, round_ids=ids)
    answers: dict[int, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    go_to: dict[int, Counter[str]] = defaultdict(Counter)
    # Per round, the people who answered each question: the group every figure about it is
    # counted from, so the one a rule tests against the minimum group size.
    answerers: dict[int, Counter[str]] = defaultdict(Counter)
    for round_id, _role, question_id, value, count in (
        repo.answer_counts(session=session, round_ids=ids) if ids else ()
    ):
        if not value:
            continue
        answerers[round_id][question_id] += count
        if question_id == "go_to_person":
            for person in value[:1]:
                go_to[round_id][person] += count
            continue
        for option in value:
            answers[round_id][question_id][option] += count
    role_usage = _role_usage(session, ids)
    confidential = repo.confidential_counts(session=session, round_ids=ids) if ids else {}
    for round_id, tallies in confidential.items():
        for question_id, tally in tallies.items():  # single choice: one answer per person
            answerers[round_id][question_id] = sum(tally.values())
    for round_id in _withheld(session, team, rounds):
        # Changed since shown by fewer people than the floor: like a round below it, nothing
        # per question, so no rule quotes a number the shown one could be subtracted from.
        for per_round in (answers, go_to, answerers, role_usage, confidential):
            per_round.pop(round_id, None)
    today = now.date()
    window = repo.open_recovery(session=session, team_id=team.id)
    return TeamSnapshot(
        now=now,
        rollout_start=team.rollout_start,
        min_group_size=team.min_group_size,
        member_count=sum(1 for m in members if eligible(m, team, today)),
        roles={role: tuple(ids_) for role, ids_ in roles.items()},
        rounds=tuple(
            RoundStats(
                local_date=r.local_date,
                closed=r.status is RoundStatus.CLOSED,
                invited=counts.get(r.id, (0, 0))[0],
                respondents=counts.get(r.id, (0, 0))[1],
                answers={q: dict(c) for q, c in answers[r.id].items()},
                go_to=dict(go_to[r.id]),
                role_usage=dict(role_usage[r.id]),
                confidential={q: dict(c) for q, c in confidential.get(r.id, {}).items()},
                answerers=dict(answerers[r.id]),
            )
            for r in rounds
        ),
        tool_count=len(team_repo.tools(session=session, team_id=team.id)),
        workflows=_workflows(session, team, now),
        check_ins=_check_ins(session, team, now),
        office_hours=_office_hours(session, team, now),
        marks={
            m.mode_id: Mark(applies=m.applies, marked_on=m.marked_at.date(), note=m.note)
            for m in repo.marks(session=session, team_id=team.id)
        },
        recovery=RecoveryWindow(
            opened_on=window.opened_on,
            stages=tuple(window.stages),
            baseline_detected=window.baseline_detected,
            baseline_usage_share=window.baseline_usage_share,
        )
        if window
        else None,
    )


def _withheld(session: Session, team: Team, rounds: list[PulseRound]) -> set[int]:
    """The closed rounds whose figures `trend.figures` withholds (see `atlas.published`)."""
    closed = [r for r in rounds if r.status is RoundStatus.CLOSED]
    shown = trend.figures(session, closed, team.min_group_size)
    return {r.id for r, figure in zip(closed, shown, strict=True) if figure.withheld}


def _role_usage(session: Session, round_ids: list[int]) -> dict[int, dict[str, str]]:
    """Per round, the usage answer of each named role, read only under that role's notice.

    The role is the one the person's pulse named when they answered, not the one they hold
    now: naming someone later does not open their earlier answers.
    """
    usage: dict[int, dict[str, str]] = defaultdict(dict)
    for round_id, stored, value in role_answers.noticed_in_rounds(
        session=session, round_ids=round_ids, question_id=USAGE
    ):
        notice = decode_notice(stored)
        for role in ROUND_ROLES:
            if role in notice and value:
                usage[round_id][role.value] = value[0]
    return usage


def rituals_only(session: Session, team: Team, now: datetime) -> TeamSnapshot:
    """Only the weekly rituals (office hours and check-ins) as of `now`: enough for the cadence."""
    return TeamSnapshot(
        now=now,
        rollout_start=team.rollout_start,
        min_group_size=team.min_group_size,
        member_count=0,
        roles={},
        rounds=(),
        check_ins=_check_ins(session, team, now),
        office_hours=_office_hours(session, team, now),
    )


def _workflows(session: Session, team: Team, now: datetime) -> tuple[Workflow, ...] | None:
    """The registry, or None while the team has never listed a workflow."""
    records = rituals.workflows(session=session, team_id=team.id)
    if not records:
        return None
    # Whether a workflow's owner uses AI at all: their latest usage answer given while their
    # pulse said it is read for their workflow. Earlier answers stay in the totals only.
    owners = {r.owner_user_id for r in records if r.owner_user_id}
    uses: dict[str, bool] = {}
    for user_id, stored, value in role_answers.noticed_by_people(
        session=session, team_id=team.id, user_ids=owners, question_id=USAGE
    ):
        if Notice.WORKFLOW_OWNER in decode_notice(stored):
            uses[user_id] = bool(value) and value[0] != "none"
    return tuple(
        Workflow(
            name=r.name,
            owner_user_id=r.owner_user_id,
            shipped_on=r.shipped_on,
            minutes_before=r.minutes_before,
            minutes_after=r.minutes_after,
            owner_uses_it=uses.get(r.owner_user_id) if r.owner_user_id else None,
        )
        for r in records
    )


def _check_ins(session: Session, team: Team, now: datetime) -> tuple[CheckIn, ...] | None:
    """Check-ins sent so far, or None before the first one went out."""
    records = rituals.sent_check_ins(session=session, team_id=team.id, until=now)
    if not records:
        return None
    return tuple(
        CheckIn(
            week_of=r.week_of,
            answered=r.answered_at is not None and r.answered_at <= now,
            on_track=None if r.on_track is None else r.on_track == "yes",
            shipped_something=r.shipped,
        )
        for r in records
    )


def _office_hours(
    session: Session, team: Team, now: datetime
) -> tuple[OfficeHoursWeek, ...] | None:
    """Past weeks' office hours (holiday weeks left out), or None before the first one."""
    weeks = rituals.past_sessions(session=session, team_id=team.id, until=now)
    if not weeks:
        return None
    return tuple(
        OfficeHoursWeek(week_of=day, held=held, attendees=attended, rsvps=going)
        for day, held, going, attended in weeks
    )
