"""Turning stored pulse data into the plain `TeamSnapshot` the diagnosis engine reads."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from sqlalchemy.orm import Session

from atlas.diagnosis.model import Mark, RecoveryWindow, RoundStats, TeamSnapshot
from bot.services.pulse import eligible
from bot.storage import diagnosis as repo
from bot.storage import teams as team_repo
from bot.storage.models import Role, RoundStatus, Team

MAX_ROUNDS = 52  # a year of weekly rounds is all any rule looks at


def build(session: Session, team: Team, now: datetime) -> TeamSnapshot:
    """Aggregate one team's stored signals as of `now`."""
    members = team_repo.active_members(session=session, team_id=team.id)
    roles: dict[str, list[str]] = defaultdict(list)
    for member in members:
        if member.role is not Role.MEMBER:
            roles[member.role.value].append(member.slack_user_id)
    rounds = repo.recent_rounds(session=session, team_id=team.id, limit=MAX_ROUNDS)
    ids = [r.id for r in rounds]
    counts = repo.round_counts(session=session, round_ids=ids) if ids else {}
    answers: dict[int, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    go_to: dict[int, Counter[str]] = defaultdict(Counter)
    role_usage: dict[int, dict[str, str]] = defaultdict(dict)
    for round_id, role, question_id, value, count in (
        repo.answer_counts(session=session, round_ids=ids) if ids else ()
    ):
        if question_id == "go_to_person":
            for person in value[:1]:
                go_to[round_id][person] += count
            continue
        for option in value:
            answers[round_id][question_id][option] += count
        if question_id == "ai_frequency" and role in repo.NAMED_ROLES and value:
            role_usage[round_id][role.value] = value[0]
    confidential = repo.confidential_counts(session=session, round_ids=ids) if ids else {}
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
            )
            for r in rounds
        ),
        tool_count=len(team_repo.tools(session=session, team_id=team.id)),
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
