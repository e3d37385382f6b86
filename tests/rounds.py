"""Weeks of pulse answered by clicking through the real app, for tests that read results back.

One small team, two closed rounds: the first answered by 6 of its 7 people (at or above the
default minimum group size of 5), the second by 2 (below it).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.sandbox.people import Person
from bot.sandbox.running import RunningApp
from bot.services import teams
from bot.storage.models import Role
from tests.services.conftest import Env, utc

NY = "America/New_York"
MONDAYS = [utc(2026, 11, 16, 15, 0), utc(2026, 11, 23, 15, 0)]  # 10:00 in New York
CLOSE = timedelta(days=4, hours=8, minutes=30)  # Friday 18:30 New York: the round has closed
PEOPLE = [("U0OWNER", NY, Role.OWNER), ("ULEAD", NY, Role.AI_LEAD)] + [
    (f"UM{i:02d}", NY, Role.MEMBER) for i in range(5)
]
# Switched off so that the first round's rotating question is the confidential one.
SWITCHED_OFF = ("training_fit", "prompt_source", "first_heard", "output_problems")
WEEK_1: dict[str, dict[str, object]] = {
    "ULEAD": {"ai_frequency": "daily", "ai_tools": ["copilot"]},
    "UM00": {
        "ai_frequency": "daily",
        "ai_tools": ["chatgpt"],
        "go_to_person": "ULEAD",
        "confidential_paste": "no",
    },
    "UM01": {
        "ai_frequency": "daily",
        "ai_tools": ["chatgpt", "claude"],
        "go_to_person": "ULEAD",
        "confidential_paste": "no",
    },
    "UM02": {
        "ai_frequency": "several",
        "ai_tools": ["chatgpt"],
        "go_to_person": "ULEAD",
        "confidential_paste": "unsure",
    },
    "UM03": {"ai_frequency": "several", "ai_tools": ["claude"], "go_to_person": "ULEAD"},
    "UM04": {"ai_frequency": "none", "ai_tools": ["chatgpt"], "go_to_person": "ULEAD"},
}
WEEK_2: dict[str, dict[str, object]] = {
    "UM00": {"ai_frequency": "daily"},
    "UM01": {"ai_frequency": "few"},
}


def small_team(env: Env) -> int:
    """The team of `PEOPLE`, with four rotating questions switched off; returns its id."""
    team_id = env.team(PEOPLE, created="2026-11-11", rollout_start=date(2026, 10, 1))
    for question_id in SWITCHED_OFF:
        teams.set_question_enabled(
            db=env.db, team_id=team_id, question_id=question_id, enabled=False
        )
    return team_id


def run_week(
    env: Env, running: RunningApp, monday: datetime, answers: dict[str, dict[str, object]]
) -> None:
    """Send the round, let people click their answers, then close it (which diagnoses)."""
    env.tick(monday)
    before = len(env.slack.responses)
    clicks = 0
    for user_id, chosen in answers.items():
        person = Person(user_id, env.slack, running.sender())
        for question_id, value in chosen.items():
            assert person.answer(question_id, value).status == 200
            clicks += 1
    running.settle()  # every click's work after its ack is done
    assert len(env.slack.responses) >= before + clicks
    env.tick(monday + CLOSE)


def two_weeks(env: Env, running: RunningApp) -> int:
    """`small_team`, with the first round above the floor and the second below it."""
    team_id = small_team(env)
    run_week(env, running, MONDAYS[0], WEEK_1)
    run_week(env, running, MONDAYS[1], WEEK_2)
    return team_id
