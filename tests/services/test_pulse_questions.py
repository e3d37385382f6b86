"""The question bank as a team shapes it: tool list, switched-off questions, rewording."""

from __future__ import annotations

import dataclasses

import pytest

from atlas import questions as bank
from atlas.questions import MAX_QUESTIONS_PER_PULSE, ROTATING_IDS, pulse_questions
from bot.sandbox.people import find_element
from bot.services import members, teams
from bot.services.teams import TeamError
from bot.storage.models import Role
from tests.services.conftest import Env, utc

NY = "America/New_York"
MONDAY = utc(2026, 11, 30, 15, 0)


def _pulse_blocks(env: Env, user_id: str) -> list[dict]:
    messages = env.slack.messages_in(env.slack.dm_channel(user_id))
    return messages[-1]["blocks"]


def test_every_pulse_has_at_most_five_questions_and_rotates_one() -> None:
    seen = set()
    for number in range(len(ROTATING_IDS)):
        chosen = pulse_questions(number)
        assert len(chosen) <= MAX_QUESTIONS_PER_PULSE
        seen.add(chosen[-1].id)
    assert seen == set(ROTATING_IDS)


def test_how_people_first_heard_is_asked_once_per_person() -> None:
    number = ROTATING_IDS.index("first_heard")
    assert "first_heard" in [q.id for q in pulse_questions(number)]
    again = pulse_questions(number, already_answered_once=frozenset({"first_heard"}))
    assert "first_heard" not in [q.id for q in again]


def test_the_team_tool_list_is_offered_with_other(env: Env) -> None:
    team_id = env.team([("UANA", NY, Role.MEMBER)], created="2026-11-27")
    teams.set_tools(db=env.db, team_id=team_id, labels=["ChatGPT Enterprise", "Cursor"])
    env.tick(MONDAY)
    _, element = find_element(_pulse_blocks(env, "UANA"), "ai_tools")
    assert [o["text"]["text"] for o in element["options"]] == [
        "ChatGPT Enterprise",
        "Cursor",
        "Other",
    ]


def test_an_empty_tool_list_is_refused_with_a_reason(env: Env) -> None:
    team_id = env.team([("UANA", NY, Role.MEMBER)], created="2026-11-27")
    with pytest.raises(TeamError, match="at least one tool"):
        teams.set_tools(db=env.db, team_id=team_id, labels=["  "])


def test_a_switched_off_question_is_not_asked(env: Env) -> None:
    team_id = env.team([("UANA", NY, Role.MEMBER)], created="2026-11-27")
    teams.set_question_enabled(
        db=env.db, team_id=team_id, question_id="go_to_person", enabled=False
    )
    env.tick(MONDAY)
    with pytest.raises(LookupError):
        find_element(_pulse_blocks(env, "UANA"), "go_to_person")
    find_element(_pulse_blocks(env, "UANA"), "ai_frequency")
    with pytest.raises(TeamError):
        teams.set_question_enabled(db=env.db, team_id=team_id, question_id="nope", enabled=False)


def test_rewording_a_question_keeps_earlier_answers_intact(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.services import pulse_answers

    env.team([("UANA", NY, Role.MEMBER)], created="2026-11-27")
    env.tick(MONDAY)
    with env.db.unit_of_work() as session:
        from sqlalchemy import select

        from bot.storage.models import Delivery

        delivery_id = session.scalar(select(Delivery.id))
    result = pulse_answers.record(
        db=env.db,
        slack_team_id=env.slack.team_id,
        user_id="UANA",
        delivery_id=delivery_id,
        question_id="ai_frequency",
        values=["daily"],
        now=MONDAY,
    )
    assert result.refusal is None
    # Version 2 of the question: new words, same option keys.
    old = bank.question("ai_frequency")
    reworded = dataclasses.replace(
        old, version=2, text="In the last week, how often did you use AI at work?"
    )
    monkeypatch.setitem(bank._BY_ID, "ai_frequency", reworded)
    shown = members.my_data(db=env.db, slack_team_id=env.slack.team_id, user_id="UANA")
    answer = shown.rounds[0].answers[0]
    assert (answer.question, answer.answer) == (reworded.text, "Daily")
    with env.db.unit_of_work() as session:
        from sqlalchemy import select

        from bot.storage.models import Answer

        stored = session.scalars(select(Answer)).one()
        assert (stored.question_version, stored.value) == (1, ["daily"])
