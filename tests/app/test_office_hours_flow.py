"""Office hours end to end over HTTP: the tick posts in the channel, people click the buttons
the app actually posted, the counts update in place, and past sessions refuse clicks."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.sandbox import FakeSlack
from bot.sandbox.running import RunningApp
from bot.services import diagnosis
from bot.storage import rituals
from bot.storage.models import OfficeHoursRsvp, RecoveryWindowRecord, Role
from tests.services.conftest import Env, utc
from tests.waiting import eventually

NY = "America/New_York"
CHANNEL = "C0OFFICE"
ANNOUNCE = utc(2026, 3, 5, 13, 0)  # Thursday 5 March, 08:00 New York
REMIND = utc(2026, 3, 5, 19, 45)  # 14:45, a quarter of an hour before the start
OVER = utc(2026, 3, 5, 21, 0)  # 16:00, the end


@pytest.fixture
def env(running: RunningApp, slack: FakeSlack) -> Env:
    return Env(db=running.db, slack=slack, app=running.ctx)


def _team(env: Env) -> int:
    env.slack.channel_members[CHANNEL] = ["UOWNER", "UANA", "UBEN", "UGUEST"]
    env.slack.add_user("UGUEST", tz="Europe/Paris")  # in the channel, not in the team
    return env.team(
        [("UOWNER", NY, Role.OWNER), ("UANA", NY, Role.MEMBER), ("UBEN", NY, Role.MEMBER)],
        created="2026-03-02",
        office_hours_channel_id=CHANNEL,
        pulse_weekday=6,  # a Sunday, not a working day: no pulse in the way
        check_in_enabled=False,
    )


def _post(slack: FakeSlack, kind: str) -> dict[str, Any]:
    """The current state of our latest post of one kind in the channel."""
    for message in reversed(slack.messages_in(CHANNEL)):
        meta = message.get("metadata") or {}
        if meta.get("event_type") == "atlas_office_hours" and meta["event_payload"]["kind"] == kind:
            return slack.message(CHANNEL, message["ts"])
    raise LookupError(kind)


def _click(running: RunningApp, message: dict[str, Any], action_id: str, user_id: str) -> None:
    """Click a button of a message, as Slack sends it."""
    for block in message["blocks"]:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element["action_id"] == action_id:
                action = {**element, "block_id": block["block_id"]}
                reply = running.sender().block_action(
                    action, user_id=user_id, message=message, channel_id=CHANNEL
                )
                assert reply.status == 200
                return
    raise LookupError(action_id)


def _rows(env: Env) -> dict[str, OfficeHoursRsvp]:
    with env.db.unit_of_work() as session:
        return {r.slack_user_id: r for r in session.scalars(select(OfficeHoursRsvp))}


def _counts(slack: FakeSlack, kind: str) -> str:
    return _post(slack, kind)["blocks"][-1]["elements"][0]["text"]


def _ephemeral(slack: FakeSlack, words: str) -> dict[str, Any]:
    return next(r for r in slack.responses if words in r.get("text", ""))


def test_a_double_click_on_ill_be_there_stores_one_rsvp_and_the_count_says_1(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _team(env)
    env.tick(ANNOUNCE)
    announcement = _post(slack, "announcement")
    assert "Nobody has said yet" in _counts(slack, "announcement")
    clicks = [
        threading.Thread(target=_click, args=(running, announcement, "office_hours.rsvp", "UANA"))
        for _ in range(2)
    ]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()
    eventually(lambda: sum("on the list" in r.get("text", "") for r in slack.responses) == 2)
    eventually(lambda: _counts(slack, "announcement") == "1 coming")
    assert list(_rows(env)) == ["UANA"] and _rows(env)["UANA"].going
    confirmation = _ephemeral(slack, "on the list")
    assert confirmation["response_type"] == "ephemeral"
    assert confirmation["replace_original"] is False  # the channel post stays as it is
    undo = confirmation["blocks"][-1]["elements"][0]
    assert (undo["action_id"], undo["text"]["text"]) == (
        "office_hours.cancel_rsvp",
        "Can't make it after all",
    )


def test_cant_make_it_after_all_takes_the_rsvp_back(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _team(env)
    env.tick(ANNOUNCE)
    for user_id in ("UANA", "UBEN"):
        _click(running, _post(slack, "announcement"), "office_hours.rsvp", user_id)
    eventually(lambda: _counts(slack, "announcement") == "2 coming")
    confirmation = _ephemeral(slack, "on the list")
    ephemeral = {"ts": None, "blocks": confirmation["blocks"], "text": confirmation["text"]}
    _click(running, ephemeral, "office_hours.cancel_rsvp", "UANA")
    eventually(lambda: _counts(slack, "announcement") == "1 coming")
    assert _rows(env)["UANA"].going is False and _rows(env)["UBEN"].going is True
    undone = _ephemeral(slack, "Taken you off the list")
    assert undone["replace_original"] is True  # replaces the confirmation
    assert undone["blocks"][-1]["elements"][0]["action_id"] == "office_hours.rsvp"


def test_im_here_records_attendance_once_for_anyone_in_the_channel(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    team_id = _team(env)
    env.tick(ANNOUNCE)
    _click(running, _post(slack, "announcement"), "office_hours.rsvp", "UANA")
    eventually(lambda: _counts(slack, "announcement") == "1 coming")
    env.tick(REMIND)
    reminder = _post(slack, "reminder")
    assert "start in 15 minutes" in reminder["text"]
    env.tick(REMIND + timedelta(minutes=20))  # during the session
    for user_id in ("UANA", "UANA", "UGUEST"):
        _click(running, reminder, "office_hours.here", user_id)
    eventually(lambda: _counts(slack, "reminder") == "2 here")
    rows = _rows(env)
    assert rows["UANA"].attended_at is not None and rows["UANA"].going
    assert rows["UGUEST"].attended_at is not None and rows["UGUEST"].going is False
    assert "counted as here" in _ephemeral(slack, "counted as here")["text"]
    with env.db.unit_of_work() as session:
        weeks = rituals.past_sessions(session=session, team_id=team_id, until=OVER)
    assert weeks == [(date(2026, 3, 5), True, 1, 2)]  # held, 1 said they'd come, 2 were there


def test_clicks_on_a_past_session_are_refused_and_change_nothing(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _team(env)
    env.tick(ANNOUNCE)
    env.tick(REMIND)
    env.tick(OVER)
    _click(running, _post(slack, "announcement"), "office_hours.rsvp", "UBEN")
    _click(running, _post(slack, "reminder"), "office_hours.here", "UANA")
    eventually(lambda: sum("are over" in r.get("text", "") for r in slack.responses) == 2)
    refusal = _ephemeral(slack, "are over")
    assert "Thu 5 Mar, 15:00–16:00 EST" in refusal["text"]
    assert refusal["response_type"] == "ephemeral" and refusal["replace_original"] is False
    assert _rows(env) == {}


def test_the_owners_status_shows_the_weekly_cadence_while_a_recovery_is_open(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    team_id = _team(env)
    env.tick(ANNOUNCE)
    env.tick(REMIND)
    _click(running, _post(slack, "reminder"), "office_hours.here", "UANA")
    eventually(lambda: "UANA" in _rows(env))
    with env.db.unit_of_work() as session:
        session.add(
            RecoveryWindowRecord(
                team_id=team_id,
                opened_on=date(2026, 2, 20),
                stages=[1],
                baseline_detected=2,
                baseline_usage_share=None,
            )
        )
    diagnosis.run_team(db=env.db, team_id=team_id, caller=env.caller(), now=OVER)
    env.tick(OVER)
    status = str(running.sender().command("status", user_id="UOWNER").json["blocks"])
    assert "Step 4, restart the weekly cadence." in status
    assert "office hours held 1 of the last 4 weeks (median attendance 1)" in status


def test_an_announcement_posted_just_before_the_start_takes_im_here_clicks_itself(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _team(env)
    env.tick(utc(2026, 3, 5, 19, 52))  # the app came back 8 minutes before the start
    env.tick(utc(2026, 3, 5, 19, 53))
    with pytest.raises(LookupError):
        _post(slack, "reminder")
    _click(running, _post(slack, "announcement"), "office_hours.rsvp", "UBEN")
    eventually(lambda: _counts(slack, "announcement") == "1 coming")
    _click(running, _post(slack, "announcement"), "office_hours.here", "UBEN")
    eventually(lambda: _counts(slack, "announcement") == "1 coming · 1 here")
    assert _rows(env)["UBEN"].attended_at is not None
