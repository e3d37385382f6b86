"""The diagnosis reads a closed round's figures through the published record, like the CSV.

The attack: read the alert evidence (or `/atlas status`), let one person delete their answers,
run the diagnosis again and subtract. The second run must not hold that difference.
"""

from __future__ import annotations

import re

import pytest

from bot.sandbox import FakeSlack
from bot.sandbox.running import RunningApp
from bot.services import diagnosis, members, snapshot, trend
from bot.storage import diagnosis as repo
from bot.storage import reports
from bot.storage import teams as team_repo
from tests.rounds import MONDAYS, two_weeks
from tests.services.conftest import Env

NUMBER = re.compile(r"\d+(?:\.\d+)?")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")  # which round a rule read, not a count


def _numbers(evidence: str) -> set[str]:
    return set(NUMBER.findall(DAY.sub("", evidence)))


@pytest.fixture
def env(running: RunningApp, slack: FakeSlack) -> Env:
    return Env(db=running.db, slack=slack, app=running.ctx)


def _diagnose(env: Env, running: RunningApp, team_id: int) -> dict[str, tuple[str, str, int]]:
    """Run the diagnosis; every mode's (status, evidence, sample) as stored."""
    result = diagnosis.run_team(
        db=env.db, team_id=team_id, caller=env.caller(), now=running.ctx.clock()
    )
    assert result.ok, result.error
    with env.db.unit_of_work() as session:
        return {
            mode: (f.status, f.evidence, f.sample)
            for mode, f in repo.findings(session=session, team_id=team_id).items()
        }


def _delete(env: Env, running: RunningApp, *user_ids: str) -> None:
    for user_id in user_ids:
        members.delete_my_data(
            db=env.db, slack_team_id=env.slack.team_id, user_id=user_id, now=running.ctx.clock()
        )


def _first_round(env: Env, running: RunningApp, team_id: int) -> snapshot.RoundStats:
    with env.db.unit_of_work() as session:
        team = team_repo.get(session=session, team_id=team_id)
        built = snapshot.build(session, team, running.ctx.clock())
    (first,) = (r for r in built.rounds if r.local_date == MONDAYS[0].date())
    return first


def test_one_person_deleting_cannot_be_read_from_the_diagnosis(
    running: RunningApp, env: Env
) -> None:
    team_id = two_weeks(env, running)
    before = _diagnose(env, running, team_id)
    first = _first_round(env, running, team_id)
    assert first.answerers["ai_frequency"] == 6 and first.answers["ai_frequency"]["daily"] == 3
    _delete(env, running, "UM03")
    with env.db.unit_of_work() as session:
        rounds = reports.closed_rounds(session=session, team_id=team_id)
        team = team_repo.get(session=session, team_id=team_id)
        assert trend.figures(session, rounds, team.min_group_size)[0].withheld
    after = _diagnose(env, running, team_id)
    # The withheld round carries nothing per question, like a round below the floor.
    first = _first_round(env, running, team_id)
    assert (first.answers, first.go_to, first.role_usage) == ({}, {}, {})
    assert (first.confidential, first.answerers) == ({}, {})
    # No evidence of the second run holds a number the first run did not: nothing to subtract.
    assert after.keys() == before.keys()
    for mode, (_status, evidence, sample) in after.items():
        assert _numbers(evidence) <= _numbers(before[mode][1]), (mode, before[mode][1], evidence)
        assert sample in (0, before[mode][2]), (mode, before[mode], after[mode])
