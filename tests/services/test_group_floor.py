"""The minimum group size holds per question and per round, counted from the stored answers."""

from __future__ import annotations

import csv
import io

import pytest

from bot.sandbox import FakeSlack
from bot.sandbox.running import RunningApp
from bot.services import export, members
from tests.rounds import MONDAYS, run_week, small_team
from tests.services.conftest import Env

SIX = {f"UM0{i}": {"ai_frequency": "daily"} for i in range(5)} | {"ULEAD": {"ai_frequency": "few"}}
# One of the six also answers everything else: those questions have a single answerer.
SIX["UM00"] |= {"ai_tools": ["copilot"], "time_saved": "over_2h", "confidential_paste": "yes"}


@pytest.fixture
def env(running: RunningApp, slack: FakeSlack) -> Env:
    return Env(db=running.db, slack=slack, app=running.ctx)


def _row(env: Env, team_id: int, running: RunningApp) -> dict[str, str]:
    (row,) = csv.DictReader(io.StringIO(export.team_csv(env.db, team_id, running.ctx.clock())))
    return row


def test_one_person_among_six_respondents_is_not_readable_from_the_csv(
    running: RunningApp, env: Env
) -> None:
    team_id = small_team(env)
    run_week(env, running, MONDAYS[0], SIX)
    row = _row(env, team_id, running)
    assert (row["responded"], row["ai_frequency:daily"], row["ai_frequency:few"]) == ("6", "5", "1")
    lone = [k for k in row if k.split(":")[0] in ("ai_tools", "time_saved", "confidential_paste")]
    assert lone and all(row[k] == "" for k in lone)  # one answerer each: nothing shown
    assert "ai_tools" in row["suppressed"] and "confidential_paste" in row["suppressed"]


def test_four_of_six_deleting_their_answers_withhold_the_round_they_were_shown_in(
    running: RunningApp, env: Env
) -> None:
    team_id = small_team(env)
    run_week(env, running, MONDAYS[0], SIX)
    for user_id in ("UM01", "UM02", "UM03", "UM04"):
        erased = members.delete_my_data(
            db=env.db, slack_team_id=env.slack.team_id, user_id=user_id, now=running.ctx.clock()
        )
        assert erased.answers == 1
    row = _row(env, team_id, running)
    # The round was published at closing with 6 respondents; 4 fewer is fewer than the floor.
    assert row["suppressed"] == export.withheld_note(5)
    assert all(v == "" for k, v in row.items() if k not in ("week", "suppressed"))
