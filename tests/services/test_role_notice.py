"""A rule reads one person's usage answer for a role only if their pulse said so when they gave it.

The attack: in a team of 4 with a minimum group size of 5, the team's owner names a member as a
workflow's owner (or as the executive sponsor) after that member answered, to learn from 3.5 (or
2.3) what the member said, below the floor and while the round is still open.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select

from atlas.diagnosis.model import Status
from bot.services import diagnosis, pulse_answers, teams, workflows
from bot.services.workflows import WorkflowInput
from bot.storage.models import Answer, Delivery, Member, PulseRound, Role
from tests.services.conftest import Env, utc

NY = "America/New_York"
MONDAY = utc(2026, 11, 16, 15, 0)  # 10:00 in New York; rollout day 46, so stage 3 is live
WEEK = timedelta(days=7)
CLOSE = timedelta(days=4, hours=8, minutes=30)  # Friday 18:30 New York: the round has closed
TEAM = [
    ("UOWNER", NY, Role.OWNER),
    ("UX", NY, Role.MEMBER),
    ("UA", NY, Role.MEMBER),
    ("UB", NY, Role.MEMBER),
]
REPORT = WorkflowInput("Client report", "UX", date(2026, 11, 2), 60, 20)
NOTICE = "Read on its own, for your role"


def _team(env: Env) -> int:
    return env.team(TEAM, created="2026-11-11", rollout_start=date(2026, 10, 1), min_group_size=5)


def _delivery(env: Env, team_id: int, user_id: str, monday) -> int:
    with env.db.unit_of_work() as session:
        delivery = session.scalar(
            select(Delivery)
            .join(Member, Member.id == Delivery.member_id)
            .join(PulseRound, PulseRound.id == Delivery.round_id)
            .where(
                PulseRound.team_id == team_id,
                PulseRound.local_date == monday.date(),
                Member.slack_user_id == user_id,
            )
        )
        assert delivery is not None and "ai_frequency" in delivery.question_ids
        return delivery.id


def _answer_usage(env: Env, team_id: int, user_id: str, monday, level: str) -> None:
    result = pulse_answers.record(
        db=env.db,
        slack_team_id=env.slack.team_id,
        user_id=user_id,
        delivery_id=_delivery(env, team_id, user_id, monday),
        question_id="ai_frequency",
        values=[level],
        now=monday + timedelta(minutes=5),
    )
    assert result.refusal is None


def _last_pulse(env: Env, user_id: str) -> str:
    pulses = [
        json.dumps(m["blocks"])
        for m in env.slack.messages_in(env.slack.dm_channel(user_id))
        if (m.get("metadata") or {}).get("event_type") == "atlas_pulse"
    ]
    assert pulses
    return pulses[-1]


def _finding(env: Env, team_id: int, mode_id: str, now):
    _, _, found = diagnosis.current(db=env.db, team_id=team_id, now=now)
    return found.finding(mode_id)


def _stored_notice(env: Env, team_id: int, user_id: str, monday) -> str | None:
    with env.db.unit_of_work() as session:
        return session.scalar(
            select(Answer.role_notice).where(
                Answer.delivery_id == _delivery(env, team_id, user_id, monday),
                Answer.question_id == "ai_frequency",
            )
        )


def test_naming_a_workflow_owner_after_they_answered_reveals_nothing_until_their_pulse_says_so(
    env: Env,
) -> None:
    team_id = _team(env)
    env.tick(MONDAY)
    assert NOTICE not in _last_pulse(env, "UX")
    _answer_usage(env, team_id, "UX", MONDAY, "none")
    # The team's owner may name anyone as a workflow's owner, and names X after X answered.
    later = MONDAY + timedelta(hours=1)
    workflows.add(db=env.db, team_id=team_id, data=REPORT, by="UOWNER", now=later)
    unknown = (
        "No shipped workflow's owner has a usage answer given under the pulse's notice that it "
        "is read for their workflow."
    )
    open_round = _finding(env, team_id, "3.5", later)
    env.tick(MONDAY + CLOSE)
    closed_round = _finding(env, team_id, "3.5", MONDAY + CLOSE + timedelta(minutes=1))
    for found in (open_round, closed_round):
        assert found.status is Status.NOT_ENOUGH_DATA
        # The same words as for an owner who never answered: nothing tells X's answer apart.
        assert found.evidence.startswith(unknown)
        assert "Client report" not in found.evidence
    assert _stored_notice(env, team_id, "UX", MONDAY) is None
    result = diagnosis.run_team(db=env.db, team_id=team_id, caller=env.caller(), now=later)
    assert result.ok and "3.5" not in result.detected
    assert not any(
        "3.5" in m["text"] for m in env.slack.messages_in(env.slack.dm_channel("UOWNER"))
    )

    # The next round: X's pulse says plainly that their usage answer is read for the workflow.
    env.tick(MONDAY + WEEK)
    shown = _last_pulse(env, "UX")
    assert NOTICE in shown and "owner of a workflow in the team's registry" in shown
    assert NOTICE not in _last_pulse(env, "UA")
    _answer_usage(env, team_id, "UX", MONDAY + WEEK, "none")
    assert _stored_notice(env, team_id, "UX", MONDAY + WEEK) == "workflow_owner"
    found = _finding(env, team_id, "3.5", MONDAY + WEEK + timedelta(hours=1))
    assert found.status is Status.DETECTED
    assert found.evidence == (
        "1 of 1 shipped workflows are owned by someone who does not use them: Client report."
    )


def test_naming_an_executive_sponsor_does_not_open_their_earlier_answers(env: Env) -> None:
    team_id = _team(env)
    for week in range(2):
        monday = MONDAY + week * WEEK
        env.tick(monday)
        _answer_usage(env, team_id, "UX", monday, "none")
        env.tick(monday + CLOSE)
    teams.add_member(db=env.db, team_id=team_id, slack_user_id="UX", role=Role.EXECUTIVE_SPONSOR)
    found = _finding(env, team_id, "2.3", MONDAY + WEEK + CLOSE + timedelta(hours=1))
    assert found.status is Status.NOT_ENOUGH_DATA
    assert found.evidence.startswith(
        "Not enough answers yet: 0 of the 2 needed from the executive sponsor, given under the "
        "pulse's notice"
    )
    # Two rounds answered with the notice shown: now the sponsor's own answers are the signal.
    for week in range(2, 4):
        monday = MONDAY + week * WEEK
        env.tick(monday)
        assert "as the team's executive sponsor" in _last_pulse(env, "UX")
        _answer_usage(env, team_id, "UX", monday, "none")
        env.tick(monday + CLOSE)
    assert _stored_notice(env, team_id, "UX", MONDAY + 3 * WEEK) == "executive_sponsor"
    found = _finding(env, team_id, "2.3", MONDAY + 3 * WEEK + CLOSE + timedelta(hours=1))
    assert found.status is Status.DETECTED
    assert "(2026-11-30 and 2026-12-07)" in found.evidence
