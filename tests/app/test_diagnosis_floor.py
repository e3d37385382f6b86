"""The minimum group size per question holds in the diagnosis, through the real app: a round
above the floor whose tools question only two people answered yields no finding on tools, and
neither an alert nor /atlas status quotes a number counted from those two."""

from __future__ import annotations

import re

import pytest

from bot.sandbox import FakeSlack
from bot.sandbox.running import RunningApp
from bot.storage import diagnosis as repo
from tests.rounds import MONDAYS, run_week, small_team
from tests.services.conftest import Env

OWNER = "U0OWNER"
RESPONDENTS = ["ULEAD", *(f"UM{i:02d}" for i in range(5))]  # 6 of the team's 7, floor 5
ALL_TOOLS = ["chatgpt", "claude", "copilot", "gemini"]
SPRAWL = "tools, and the most named reached"


@pytest.fixture
def env(running: RunningApp, slack: FakeSlack) -> Env:
    return Env(db=running.db, slack=slack, app=running.ctx)


def _round(tools: dict[str, list[str]]) -> dict[str, dict[str, object]]:
    """Everyone uses AI daily; only the people in `tools` answer the tools question."""
    answers: dict[str, dict[str, object]] = {p: {"ai_frequency": "daily"} for p in RESPONDENTS}
    for person, named in tools.items():
        answers[person]["ai_tools"] = named
    return answers


def _owner_dms(slack: FakeSlack) -> str:
    return " ".join(m["text"] for m in slack.messages_in(slack.dm_channel(OWNER)))


def _status(running: RunningApp) -> str:
    return str(running.sender().command("status", user_id=OWNER).json["blocks"])


def test_two_people_naming_four_tools_raise_nothing_and_quote_nothing(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    team_id = small_team(env)
    run_week(env, running, MONDAYS[0], _round({"UM00": ALL_TOOLS, "UM01": ALL_TOOLS}))
    with env.db.unit_of_work() as session:
        stored = repo.findings(session=session, team_id=team_id)["3.1"]
        status, evidence, sample = stored.status, stored.evidence, stored.sample
    assert status == "not_enough_data" and sample == 0
    assert evidence.startswith("Not enough answers to that question yet")
    # The only digits left are the floor (5) and the round's date: no count of the two.
    assert re.findall(r"\d+", evidence.replace("2026-11-16", "")) == ["5"]
    dms, shown = _owner_dms(slack), _status(running)
    for text in (dms, shown):
        assert SPRAWL not in text and "3.1" not in text
        assert "2 of" not in text and "of 2" not in text


def test_six_people_naming_four_tools_still_raise_3_1(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    tools = {
        "ULEAD": ["copilot", "gemini"],
        "UM00": ["chatgpt", "claude"],
        "UM01": ["copilot"],
        "UM02": ["gemini"],
        "UM03": ["chatgpt"],
        "UM04": ["claude"],
    }
    small_team(env)
    run_week(env, running, MONDAYS[0], _round(tools))
    said = "6 people named 4 tools, and the most named reached 2 of them (33%)"
    assert said in _owner_dms(slack)
    assert said in _status(running)
