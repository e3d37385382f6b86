"""The owner's check-in end to end over HTTP: the tick DMs it, owners click the buttons the app
sent, the DM shows what was recorded, and the diagnosis reads it (1.1 and 2.1)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from atlas.diagnosis.model import Status
from bot.sandbox import FakeSlack
from bot.sandbox.running import RunningApp
from bot.services import diagnosis
from bot.storage.models import CheckInRecord, Role
from tests.services.conftest import Env, utc
from tests.waiting import eventually

NY = "America/New_York"
FRIDAYS = [utc(2026, 11, d, 19, 0) for d in (6, 13, 20, 27)]  # 14:00 New York, EST


@pytest.fixture
def env(running: RunningApp, slack: FakeSlack) -> Env:
    return Env(db=running.db, slack=slack, app=running.ctx)


def _team(env: Env, *owners: str, **settings: object) -> int:
    people = [(owner, NY, Role.OWNER) for owner in owners or ("UOWNER",)]
    return env.team(
        [*people, ("UANA", NY, Role.MEMBER)],
        created="2026-11-02",
        pulse_weekday=6,  # a Sunday, not a working day: no pulse in the way
        **settings,
    )


def _dm(slack: FakeSlack, user_id: str = "UOWNER", week: int = -1) -> dict[str, Any]:
    """The current state of one of the check-in DMs a person got (the latest by default)."""
    found = [
        m
        for m in slack.messages_in(slack.dm_channel(user_id))
        if (m.get("metadata") or {}).get("event_type") == "atlas_check_in"
    ]
    return slack.message(found[week]["channel"], found[week]["ts"])


def _click(
    running: RunningApp,
    slack: FakeSlack,
    message: dict[str, Any],
    action_id: str,
    *,
    owner: str = "UOWNER",
    as_user: str | None = None,
) -> None:
    """Click a button of the check-in DM in `owner`'s DM (as `as_user`, by default the owner)."""
    for block in message["blocks"]:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element["action_id"] == action_id:
                reply = running.sender().block_action(
                    {**element, "block_id": block["block_id"]},
                    user_id=as_user or owner,
                    message=message,
                    channel_id=slack.dm_channel(owner),
                )
                assert reply.status == 200
                return
    raise LookupError(action_id)


def _record(env: Env, week_of: date | None = None) -> CheckInRecord:
    with env.db.unit_of_work() as session:
        rows = session.scalars(select(CheckInRecord).order_by(CheckInRecord.week_of)).all()
    return next(r for r in rows if r.week_of == week_of) if week_of else rows[-1]


def _answer_each_week(env: Env, running: RunningApp, slack: FakeSlack, shipped: str = "no") -> None:
    """Each Friday the check-in goes out and the owner answers both questions."""
    for friday in FRIDAYS:
        env.tick(friday)
        assert _record(env).week_of == friday.date() - timedelta(days=4)
        _click(running, slack, _dm(slack), "check_in.on_track.partly")
        eventually(lambda: _record(env).answered_at is not None)
        _click(running, slack, _dm(slack), f"check_in.shipped.{shipped}")
        eventually(lambda: _record(env).shipped is (shipped == "yes"))


def _finding(env: Env, team_id: int, mode_id: str, now: datetime):
    _, _, found = diagnosis.current(db=env.db, team_id=team_id, now=now)
    return found.finding(mode_id)


def test_answers_are_recorded_and_replace_the_message(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    team_id = _team(env)
    env.tick(FRIDAYS[0])
    _click(running, slack, _dm(slack), "check_in.on_track.partly")
    eventually(lambda: _record(env).on_track == "partly")
    record = _record(env)
    assert record.answered_by == "UOWNER" and record.answered_at == FRIDAYS[0]
    eventually(lambda: "Recorded by <@UOWNER>" in str(_dm(slack)["blocks"]))
    text = str(_dm(slack)["blocks"])
    assert "on track: Partly · shipped this week: —." in text
    assert "You can change it until next week's check-in goes out." in text
    chosen = [
        e["action_id"]
        for b in _dm(slack)["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("style") == "primary"
    ]
    assert chosen == ["check_in.on_track.partly"]
    assert "workflow.add" not in text
    _click(running, slack, _dm(slack), "check_in.shipped.yes")
    eventually(lambda: _record(env).shipped is True)
    eventually(lambda: "workflow.add" in str(_dm(slack)["blocks"]))
    button = next(
        e
        for b in _dm(slack)["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "workflow.add"
    )
    assert button["value"] == str(team_id)
    assert button["text"]["text"] == "Add it to the workflow registry"


def test_any_owner_may_answer_the_last_click_wins_and_others_are_refused(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _team(env, "UOWNER", "UOWNER2")
    env.tick(FRIDAYS[0])
    _click(running, slack, _dm(slack), "check_in.on_track.yes")
    eventually(lambda: _record(env).on_track == "yes")
    _click(running, slack, _dm(slack, "UOWNER2"), "check_in.on_track.no", owner="UOWNER2")
    eventually(lambda: _record(env).on_track == "no")
    assert _record(env).answered_by == "UOWNER2"
    _click(running, slack, _dm(slack), "check_in.on_track.yes", as_user="UANA")
    eventually(lambda: any("for the team's rollout owner" in r["text"] for r in slack.responses))
    assert _record(env).on_track == "no"


def test_a_late_answer_counts_until_the_next_check_in_goes_out(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _team(env)
    env.tick(FRIDAYS[0])
    first = _dm(slack)
    env.tick(utc(2026, 11, 10, 15, 0))  # the Tuesday after: the week is over
    _click(running, slack, first, "check_in.shipped.no")
    eventually(lambda: _record(env, date(2026, 11, 2)).shipped is False)
    # The reply replaces the DM just after the answer is stored.
    eventually(lambda: "late answers still count as answered" in str(_dm(slack)["blocks"]))
    env.tick(FRIDAYS[1])  # the next check-in goes out
    _click(running, slack, _dm(slack, week=0), "check_in.shipped.yes")
    eventually(lambda: any("a newer one has gone out" in r["text"] for r in slack.responses))
    refusal = next(r for r in slack.responses if "a newer one has gone out" in r["text"])
    assert refusal["response_type"] == "ephemeral" and refusal["replace_original"] is False
    assert "week of Mon 2 Nov" in refusal["text"]
    assert _record(env, date(2026, 11, 2)).shipped is False


def test_an_owner_who_ignores_four_check_ins_is_detected_for_1_1(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    team_id = _team(env)
    for n, friday in enumerate(FRIDAYS):
        env.tick(friday)
        found = _finding(env, team_id, "1.1", friday + timedelta(hours=1))
        assert found.status is (Status.DETECTED if n == 3 else Status.OK), found.evidence
    assert found.evidence == "The owner answered 0 of the last 4 weekly check-ins."
    diagnosis.run_team(db=env.db, team_id=team_id, caller=env.caller(), now=FRIDAYS[-1])
    status = str(running.sender().command("status", user_id="UOWNER").json["blocks"])
    assert "`1.1`" in status and "answered 0 of the last 4 weekly check-ins" in status


def test_an_owner_who_answers_every_check_in_is_clear_of_1_1(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    team_id = _team(env)
    _answer_each_week(env, running, slack)
    found = _finding(env, team_id, "1.1", FRIDAYS[-1] + timedelta(hours=1))
    assert found.status is Status.OK
    assert found.evidence == "The owner answered 4 of the last 4 weekly check-ins."


def test_2_1_reads_from_the_check_ins_whether_anything_shipped(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    team_id = _team(env, rollout_start=date(2026, 10, 1))
    _answer_each_week(env, running, slack, shipped="no")
    now = FRIDAYS[-1] + timedelta(hours=1)
    found = _finding(env, team_id, "2.1", now)
    assert found.status is Status.DETECTED
    assert found.evidence == "Day 57, and every answered check-in (4) says nothing has shipped."
    _click(running, slack, _dm(slack), "check_in.shipped.yes")
    eventually(lambda: _record(env).shipped is True)
    found = _finding(env, team_id, "2.1", now)
    assert found.status is Status.OK
    assert found.evidence == "The owner's check-ins report a shipped workflow."
