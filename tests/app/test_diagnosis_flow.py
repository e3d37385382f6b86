"""Diagnosis end to end over HTTP: people answer by clicking, rounds close, the owner is told."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.sandbox import FakeSlack
from bot.sandbox.people import Person
from bot.sandbox.running import RunningApp
from bot.storage.models import Role
from tests.services.conftest import Env, utc
from tests.waiting import eventually

NY = "America/New_York"
MONDAYS = [utc(2026, 11, 16, 15, 0), utc(2026, 11, 23, 15, 0)]
CLOSE = timedelta(days=4, hours=8, minutes=30)  # Friday 18:30 New York


@pytest.fixture
def env(running: RunningApp, slack: FakeSlack) -> Env:
    return Env(db=running.db, slack=slack, app=running.ctx)


def _team(env: Env, members: int, *, rollout_days: int = 40) -> list[str]:
    people = [
        ("UOWNER", NY, Role.OWNER),
        ("ULEAD", NY, Role.AI_LEAD),
        ("UCEO", NY, Role.EXECUTIVE_SPONSOR),
    ]
    people += [(f"UM{i:02d}", NY, Role.MEMBER) for i in range(members)]
    env.team(
        people,
        created="2026-11-10",
        rollout_start=date(2026, 11, 23) - timedelta(days=rollout_days),
    )
    return [p[0] for p in people]


def _week(env: Env, running: RunningApp, monday, answers: dict[str, dict[str, object]]) -> None:
    """Send the round, let everyone click their answers, then close it (which diagnoses)."""
    env.tick(monday)
    expected = 0
    for user_id, chosen in answers.items():
        person = Person(user_id, env.slack, running.sender())
        for question_id, value in chosen.items():
            assert person.answer(question_id, value).status == 200
            expected += 1
    running.settle()  # every click's work after its ack is done
    assert len(env.slack.responses) >= expected
    env.tick(monday + CLOSE)


def _alerts(slack: FakeSlack, user_id: str = "UOWNER") -> dict[str, str]:
    """Mode id → alert text, from the DMs the owner got."""
    found = {}
    for message in slack.messages_in(slack.dm_channel(user_id)):
        header = next((b for b in message.get("blocks") or [] if b["type"] == "header"), None)
        if header and " · " in header["text"]["text"] and "detected" in message["text"]:
            found[header["text"]["text"].split(" · ")[0]] = message["text"]
    return found


def _usage(people: list[str], default: str, **overrides: str) -> dict[str, dict[str, object]]:
    answers = {p: {"ai_frequency": default} for p in people if p != "UOWNER"}
    for user, value in overrides.items():
        answers[user] = {"ai_frequency": value}
    return answers


def test_only_the_lead_using_tools_alerts_the_owner_with_2_2_and_its_evidence(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    people = _team(env, members=7)
    for monday in MONDAYS:
        _week(env, running, monday, _usage(people, "none", ULEAD="daily"))
    alerts = _alerts(slack)
    assert "2.2" in alerts
    assert "1 of 9 respondents used AI tools" in alerts["2.2"]
    assert "the AI lead, daily" in alerts["2.2"]
    # One alert, not one per run; and the first move is in it.
    owner_dm = slack.messages_in(slack.dm_channel("UOWNER"))
    assert sum("2.2 · " in str(m.get("blocks")) and "detected" in m["text"] for m in owner_dm) == 1
    assert "First move" in str(next(m for m in owner_dm if "2.2 · " in str(m.get("blocks"))))


def test_a_sponsor_who_does_not_use_ai_alerts_2_3(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    people = _team(env, members=6)
    for monday in MONDAYS:
        _week(env, running, monday, _usage(people, "several", UCEO="none"))
    alerts = _alerts(slack)
    assert "2.3" in alerts and "2.2" not in alerts


def test_everyone_going_to_one_person_alerts_4_1(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    people = _team(env, members=6, rollout_days=200)
    for monday in MONDAYS:
        answers = _usage(people, "several")
        for user in answers:
            if user != "ULEAD":
                answers[user]["go_to_person"] = "ULEAD"
        _week(env, running, monday, answers)
    alerts = _alerts(slack)
    assert "4.1" in alerts
    assert "AI lead" in alerts["4.1"]


def test_a_healthy_team_gets_no_alert(running: RunningApp, slack: FakeSlack, env: Env) -> None:
    people = _team(env, members=6)
    for monday in MONDAYS:
        _week(env, running, monday, _usage(people, "daily", UM00="several", UM01="few"))
    assert _alerts(slack) == {}
    digests = [
        m
        for m in slack.messages_in(slack.dm_channel("UOWNER"))
        if m["text"].startswith("Diagnosis for ")
    ]
    assert len(digests) == 2  # one weekly digest per closed round, nothing else


def test_a_team_below_its_minimum_group_size_gets_no_aggregate_alert(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    people = _team(env, members=1)  # owner, lead, sponsor and one member: 4 people
    for monday in MONDAYS:
        _week(env, running, monday, _usage(people, "none", ULEAD="daily"))
    alerts = _alerts(slack)
    assert "2.2" not in alerts and "4.1" not in alerts
    status = running.sender().command("status", user_id="UOWNER").json
    assert "below its minimum group size" in str(status["blocks"])


def test_the_owner_acknowledges_snoozes_or_silences_an_alert(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    people = _team(env, members=7)
    for monday in MONDAYS:
        _week(env, running, monday, _usage(people, "none", ULEAD="daily"))
    message = next(
        m for m in slack.messages_in(slack.dm_channel("UOWNER")) if "2.2 · " in str(m.get("blocks"))
    )
    buttons = next(b for b in message["blocks"] if b["type"] == "actions")["elements"]
    silence = next(b for b in buttons if b["action_id"] == "finding.not_applicable")
    assert silence["confirm"]["confirm"]["text"] == "Not applicable"
    other = running.sender().block_action(
        {
            "type": "button",
            "action_id": silence["action_id"],
            "value": silence["value"],
            "block_id": "b",
        },
        user_id="UM00",
        message=message,
        channel_id=slack.dm_channel("UOWNER"),
    )
    assert other.status == 200
    eventually(
        lambda: any("Only the team's rollout owner" in r.get("text", "") for r in slack.responses)
    )
    running.sender().block_action(
        {
            "type": "button",
            "action_id": silence["action_id"],
            "value": silence["value"],
            "block_id": "b",
        },
        user_id="UOWNER",
        message=message,
        channel_id=slack.dm_channel("UOWNER"),
    )
    eventually(
        lambda: (
            "Marked not applicable"
            in str(slack.message(message["channel"], message["ts"])["blocks"])
        )
    )
    updated = slack.message(message["channel"], message["ts"])["blocks"]
    assert any(
        e.get("action_id") == "finding.undo_not_applicable"
        for b in updated
        if b["type"] == "actions"
        for e in b["elements"]
    )


def test_status_for_the_owner_in_full_and_for_others_only_when_shared(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    people = _team(env, members=7)
    for monday in MONDAYS:
        _week(env, running, monday, _usage(people, "none", ULEAD="daily"))
    sender = running.sender()
    full = str(sender.command("status", user_id="UOWNER").json["blocks"])
    assert "Only the AI lead uses the tools" in full and "1 of 9 respondents" in full
    hidden = sender.command("status", user_id="UM00").json
    assert "has not shared" in hidden["text"]
    assert (
        "From now on everyone" in sender.command("status share on", user_id="UOWNER").json["text"]
    )
    shared = str(sender.command("status", user_id="UM00").json["blocks"])
    assert "stage 2: " in shared and "1 of 9" not in shared
    card = str(sender.command("2.2", user_id="UOWNER").json["blocks"])
    assert "In your team" in card and "Detected since" in card
    assert "In your team" not in str(sender.command("2.2", user_id="UM00").json["blocks"])


def test_the_self_assessment_modal_saves_marks_that_count(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _team(env, members=6)
    sender = running.sender()
    refused = sender.command("check", user_id="UM00").json
    assert "Only a team's rollout owner" in refused["text"]
    assert sender.command("check", user_id="UOWNER").status == 200
    eventually(lambda: bool(slack.calls_to("views.open")))
    view = slack.calls_to("views.open")[0].json("view")
    assert len(view["blocks"]) <= 100
    values = {
        "stage_1": {
            "marks": {
                "type": "checkboxes",
                "selected_options": [
                    {"value": "1.2", "text": {"type": "plain_text", "text": "1.2"}},
                    {"value": "1.7", "text": {"type": "plain_text", "text": "1.7"}},
                ],
            }
        },
        "note_1.3": {"note": {"type": "plain_text_input", "value": "We pick tools ourselves."}},
    }
    reply = sender.view_submission(view, values, user_id="UOWNER")
    assert reply.status == 200
    eventually(lambda: "1.2" in _alerts(slack) and "1.7" in _alerts(slack))
    # Two modes in stage 1: the atlas says recovery is needed, and the window opens.
    eventually(
        lambda: (
            "Recovery needed"
            in str([m.get("blocks") for m in slack.messages_in(slack.dm_channel("UOWNER"))])
        )
    )
