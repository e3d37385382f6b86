"""A pulse driven end to end over HTTP: DMs sent by the tick, answered by clicking the buttons
the app actually sent, stored at the click; refusals, pause, resume, `/atlas me`, deletion."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.sandbox import FakeSlack
from bot.sandbox.people import Person
from bot.sandbox.running import RunningApp
from bot.storage.models import (
    Answer,
    ConfidentialResponse,
    ConfidentialTally,
    Delivery,
    PulseRound,
    Role,
)
from tests.services.conftest import Env, utc
from tests.waiting import eventually

NY = "America/New_York"
MONDAY = utc(2026, 11, 30, 15, 0)


@pytest.fixture
def env(running: RunningApp, slack: FakeSlack) -> Env:
    return Env(db=running.db, slack=slack, app=running.ctx)


def _team(env: Env, **settings: object) -> int:
    return env.team(
        [
            ("UOWNER", NY, Role.OWNER),
            ("ULEAD", NY, Role.AI_LEAD),
            ("UANA", NY, Role.MEMBER),
            ("UBEN", NY, Role.MEMBER),
        ],
        created="2026-11-27",
        **settings,
    )


def _person(running: RunningApp, slack: FakeSlack, user_id: str) -> Person:
    return Person(user_id, slack, running.sender())


def _answers(env: Env) -> dict[tuple[str, str], list[str]]:
    from bot.storage.models import Member

    with env.db.unit_of_work() as session:
        rows = session.execute(
            select(Member.slack_user_id, Answer.question_id, Answer.value)
            .join(Delivery, Delivery.id == Answer.delivery_id)
            .join(Member, Member.id == Delivery.member_id)
        ).all()
    return {(user, qid): list(value) for user, qid, value in rows}


def test_a_round_end_to_end_the_tick_sends_people_click_answers_are_stored(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _team(env)
    env.tick(MONDAY)
    ana = _person(running, slack, "UANA")
    pulse = ana.latest_pulse()
    assert pulse is not None
    assert ana.answer("ai_frequency", "several").status == 200
    assert ana.answer("ai_tools", ["chatgpt", "other"]).status == 200
    assert ana.answer("time_saved", "30m_2h").status == 200
    assert ana.answer("go_to_person", "ULEAD").status == 200
    eventually(lambda: len(_answers(env)) == 4)
    assert _answers(env) == {
        ("UANA", "ai_frequency"): ["several"],
        ("UANA", "ai_tools"): ["chatgpt", "other"],
        ("UANA", "time_saved"): ["30m_2h"],
        ("UANA", "go_to_person"): ["ULEAD"],
    }
    # The message updated in place: the choice is marked and saved.
    eventually(lambda: "saved" in str(slack.message(pulse["channel"], pulse["ts"])["blocks"]))
    blocks = slack.message(pulse["channel"], pulse["ts"])["blocks"]
    frequency = next(b for b in blocks if b.get("block_id", "").endswith("|ai_frequency"))
    chosen = [e["value"] for e in frequency["elements"] if e.get("style") == "primary"]
    assert chosen == ["several"]


def test_an_answer_can_be_changed_until_the_round_closes(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _team(env)
    env.tick(MONDAY)
    ana = _person(running, slack, "UANA")
    ana.answer("ai_frequency", "none")
    eventually(lambda: _answers(env).get(("UANA", "ai_frequency")) == ["none"])
    ana.answer("ai_frequency", "daily")
    eventually(lambda: _answers(env).get(("UANA", "ai_frequency")) == ["daily"])
    with env.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Answer)) == 1


def test_a_double_click_and_a_retried_request_store_one_answer(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _team(env)
    env.tick(MONDAY)
    ana = _person(running, slack, "UANA")
    pulse = ana.latest_pulse()
    threads = [
        threading.Thread(
            target=ana.answer, args=("time_saved", "over_2h"), kwargs={"message": pulse}
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    running.settle()  # all four clicks are handled
    with env.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Answer)) == 1
    assert _answers(env)[("UANA", "time_saved")] == ["over_2h"]


def test_a_click_by_someone_else_is_politely_refused_and_changes_nothing(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _team(env)
    env.tick(MONDAY)
    ana = _person(running, slack, "UANA")
    assert ana.answer("ai_frequency", "daily", as_user="UBEN").status == 200
    eventually(lambda: any("someone else" in r.get("text", "") for r in slack.responses))
    refusal = next(r for r in slack.responses if "someone else" in r.get("text", ""))
    assert refusal["response_type"] == "ephemeral" and refusal["replace_original"] is False
    assert _answers(env) == {}


def test_a_click_on_a_closed_round_is_refused_and_changes_nothing(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _team(env)
    env.tick(MONDAY)
    ana = _person(running, slack, "UANA")
    ana.answer("ai_frequency", "few")
    eventually(lambda: ("UANA", "ai_frequency") in _answers(env))
    env.tick(utc(2026, 12, 4, 23, 30))  # Friday 18:30 New York: the round closes
    ana.answer("ai_frequency", "daily")
    eventually(lambda: any("has closed" in r.get("text", "") for r in slack.responses))
    assert _answers(env)[("UANA", "ai_frequency")] == ["few"]


def test_the_pulse_says_who_sees_what_and_tells_the_ai_lead_their_usage_is_visible(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _team(env, min_group_size=6)
    env.tick(MONDAY)
    member_text = str(_person(running, slack, "UANA").latest_pulse()["blocks"])
    lead_text = str(_person(running, slack, "ULEAD").latest_pulse()["blocks"])
    assert "only when at least 6 people answered" in member_text
    assert "AI lead" not in member_text
    assert "as the team's AI lead, your own answer to the usage question is visible" in lead_text
    assert "What happens with the answers" in member_text


def test_pause_and_resume(running: RunningApp, slack: FakeSlack, env: Env) -> None:
    _team(env)
    sender = running.sender()
    reply = sender.command("pause", user_id="UANA").json
    assert "Paused the pulse" in reply["text"]
    env.tick(MONDAY)
    assert "UANA" not in env.dms() and env.dms().get("UBEN") == 1
    assert "Welcome back" in sender.command("resume", user_id="UANA").json["text"]
    env.tick(MONDAY + timedelta(minutes=1))  # resumed inside the open round: gets it now
    assert env.dms().get("UANA") == 1


def test_pause_until_a_date_resumes_by_itself(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _team(env)
    running.ctx.clock = lambda: utc(2026, 11, 20, 12, 0)
    too_far = running.sender().command("pause until 2099-12-01", user_id="UANA").json
    assert "`/atlas pause until 2027-11-20`" in too_far["text"]  # a year is the most
    bad = running.sender().command("pause until someday", user_id="UANA").json
    assert "could not read a date in “someday”" in bad["text"]
    reply = running.sender().command("pause until 2027-11-01", user_id="UANA").json
    assert "until Mon 1 Nov 2027" in reply["text"]
    with env.db.unit_of_work() as session:
        from bot.storage.models import Member

        member = session.scalar(select(Member).where(Member.slack_user_id == "UANA"))
        member.paused_until = datetime(2026, 12, 7).date()  # back on the 7th
    env.tick(MONDAY)
    assert "UANA" not in env.dms()
    env.tick(utc(2026, 12, 7, 15, 0))
    assert env.dms().get("UANA") == 1


def test_me_shows_my_answers_and_deletes_them_after_confirming(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _team(env)
    env.tick(MONDAY)
    ana = _person(running, slack, "UANA")
    ana.answer("ai_frequency", "daily")
    ana.answer("go_to_person", "ULEAD")
    eventually(lambda: len(_answers(env)) == 2)
    me = running.sender().command("me", user_id="UANA").json
    text = str(me["blocks"])
    assert "How often did you use AI tools for your work this week? → Daily" in text
    assert "<@ULEAD>" in text and "confidential, not anonymous" in text
    button = next(
        e
        for b in me["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "me.delete_answers"
    )
    assert button["confirm"]["confirm"]["text"] == "Delete"  # a click can be a mistake
    running.sender().block_action(
        {
            "type": "button",
            "action_id": button["action_id"],
            "value": button["value"],
            "block_id": "x",
        },
        user_id="UANA",
    )
    eventually(lambda: _answers(env) == {})
    ben = running.sender().command("me", user_id="UBEN").json
    assert "No answers are stored about you" in str(ben["blocks"])


def test_confidential_answers_are_counted_but_not_linked_to_anyone(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    # Round numbers pick the rotating question: make this round ask the confidential one.
    from atlas.questions import ROTATING_IDS

    _team(env)
    with env.db.unit_of_work() as session:
        session.add_all(
            PulseRound(
                workspace_id=1,
                team_id=1,
                local_date=datetime(2026, 1, d).date(),
                number=n,
                status="closed",
                due_at=utc(2026, 1, d),
                closes_at=utc(2026, 1, d),
            )
            for n, d in enumerate(range(1, ROTATING_IDS.index("confidential_paste") + 1), start=0)
        )
    env.tick(MONDAY)
    stale = _person(running, slack, "UANA").latest_pulse()  # as first shown, with buttons
    for user_id, choice in (("UANA", "yes"), ("UBEN", "no")):
        assert _person(running, slack, user_id).answer("confidential_paste", choice).status == 200
    eventually(lambda: _count(env, ConfidentialResponse) == 2)
    ana = _person(running, slack, "UANA")
    ana.answer("confidential_paste", "no", message=stale)  # cannot change: not linked to her
    eventually(lambda: any("already counted" in r.get("text", "") for r in slack.responses))
    assert _count(env, ConfidentialTally) == 0  # sealed until the round closes
    env.tick(MONDAY + timedelta(days=7))
    with env.db.unit_of_work() as session:
        tallies = {t.option_key: t.count for t in session.scalars(select(ConfidentialTally))}
    assert tallies == {"yes": 1, "no": 1}
    assert ("UANA", "confidential_paste") not in _answers(env)
    me = str(running.sender().command("me", user_id="UANA").json["blocks"])
    assert "confidential answer, counted without your name" in me and "Yes" not in me


def _count(env: Env, model: type) -> int:
    with env.db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_one_reminder_goes_to_those_who_have_not_answered(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _team(env, reminder_delay_hours=24)
    env.tick(MONDAY)
    _person(running, slack, "UANA").answer("ai_frequency", "daily")
    eventually(lambda: ("UANA", "ai_frequency") in _answers(env))
    env.tick(MONDAY + timedelta(hours=23))
    env.tick(MONDAY + timedelta(hours=24))
    env.tick(MONDAY + timedelta(hours=30))
    reminders = {
        user: [
            m
            for m in slack.messages_in(slack.dm_channel(user))
            if (m.get("metadata") or {}).get("event_type") == "atlas_reminder"
        ]
        for user in ("UANA", "UBEN", "ULEAD")
    }
    assert len(reminders["UBEN"]) == 1 and len(reminders["ULEAD"]) == 1
    assert reminders["UANA"] == []
    assert "gentle reminder" in reminders["UBEN"][0]["text"]


def test_reminders_can_be_turned_off(running: RunningApp, slack: FakeSlack, env: Env) -> None:
    _team(env, reminder_delay_hours=None)
    env.tick(MONDAY)
    env.tick(MONDAY + timedelta(hours=30))
    assert all(
        (m.get("metadata") or {}).get("event_type") != "atlas_reminder"
        for user in ("UBEN",)
        for m in slack.messages_in(slack.dm_channel(user))
    )


def test_pulse_now_is_for_the_owner_only(running: RunningApp, slack: FakeSlack, env: Env) -> None:
    _team(env)
    sender = running.sender()
    refused = sender.command("pulse now", user_id="UANA").json
    assert "Only a team's rollout owner" in refused["text"]
    with env.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(PulseRound)) == 0
    started = sender.command("pulse now", user_id="UOWNER").json
    assert "Started the pulse" in started["text"]
    with env.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(PulseRound)) == 1
    again = sender.command("pulse now", user_id="UOWNER").json
    assert "already has a pulse" in again["text"]
