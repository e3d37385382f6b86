"""A round that has closed is never reopened: its deliveries, answers and export stay put."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.sandbox import FakeSlack
from bot.sandbox.people import Person
from bot.sandbox.running import RunningApp
from bot.services import export, teams
from bot.storage.models import Answer, Delivery, Member, PulseRound, Role, RoundStatus
from tests.services.conftest import Env, utc
from tests.waiting import eventually

NY = "America/New_York"
MONDAY = utc(2026, 11, 30, 15, 0)  # 10:00 in New York
CLOSED = MONDAY + timedelta(hours=12, minutes=30)  # 22:30 New York, still Monday there
PEOPLE = [("UOWNER", NY, Role.OWNER)] + [(f"UM{i:02d}", NY, Role.MEMBER) for i in range(5)]


@pytest.fixture
def env(running: RunningApp, slack: FakeSlack) -> Env:
    return Env(db=running.db, slack=slack, app=running.ctx)


def _ledger(env: Env) -> tuple[list[tuple[str, int]], list[tuple[str, str, list[str]]]]:
    with env.db.unit_of_work() as session:
        deliveries = session.execute(
            select(Member.slack_user_id, Delivery.round_id)
            .join(Member, Member.id == Delivery.member_id)
            .order_by(Member.slack_user_id)
        ).all()
        answers = session.execute(
            select(Member.slack_user_id, Answer.question_id, Answer.value)
            .join(Delivery, Delivery.id == Answer.delivery_id)
            .join(Member, Member.id == Delivery.member_id)
            .order_by(Member.slack_user_id, Answer.question_id)
        ).all()
    return [tuple(d) for d in deliveries], [(u, q, list(v)) for u, q, v in answers]


def test_pulse_now_after_a_close_the_same_day_leaves_the_closed_round_as_it_was(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    team_id = env.team(PEOPLE, created="2026-11-27", close_after_days=0)
    env.tick(MONDAY)
    for user_id in ("UOWNER", "UM00", "UM01", "UM02", "UM03"):
        assert (
            Person(user_id, slack, running.sender()).answer("ai_frequency", "daily").status == 200
        )
    eventually(lambda: len(_ledger(env)[1]) == 5)
    env.tick(CLOSED)
    with env.db.unit_of_work() as session:
        (rnd,) = session.scalars(select(PulseRound)).all()
        assert rnd.status is RoundStatus.CLOSED
    before, csv_before = _ledger(env), export.team_csv(env.db, team_id, CLOSED)
    assert "5" in csv_before.splitlines()[1]

    env.app.clock = lambda: CLOSED + timedelta(minutes=30)
    reply = running.sender().command("pulse now", user_id="UOWNER").json
    assert "already closed" in reply["text"] and "not reopened" in reply["text"]
    slack.add_user("ULATE", tz=NY)
    teams.add_member(db=env.db, team_id=team_id, slack_user_id="ULATE", role=Role.MEMBER)
    env.tick(CLOSED + timedelta(minutes=31))
    late = Person("ULATE", slack, running.sender())
    assert late.latest_pulse() is None  # the late joiner is not pulsed into the closed round

    with env.db.unit_of_work() as session:
        (rnd,) = session.scalars(select(PulseRound)).all()
        assert rnd.status is RoundStatus.CLOSED
    assert _ledger(env) == before
    assert export.team_csv(env.db, team_id, CLOSED + timedelta(hours=1)) == csv_before
