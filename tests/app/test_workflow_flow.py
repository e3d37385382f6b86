"""The workflow registry through `/atlas workflow`: add, refuse bad values, edit, remove, undo."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from bot.sandbox import FakeSlack
from bot.sandbox.running import RunningApp
from bot.storage.models import FindingRecord, Role, WorkflowRecord
from tests.services.conftest import Env, utc
from tests.waiting import eventually


@pytest.fixture
def env(running: RunningApp, slack: FakeSlack) -> Env:
    return Env(db=running.db, slack=slack, app=running.ctx)


def _team(env: Env, *, rollout_days: int = 45) -> int:
    people = [
        ("U0OWNER", "America/New_York", Role.OWNER),
        ("U0LEAD", "America/New_York", Role.AI_LEAD),
        ("U0ANA", "America/New_York", Role.MEMBER),
        ("U0BEN", "America/New_York", Role.MEMBER),
    ]
    today = env.app.clock().date() if env.app else date.today()
    return env.team(people, rollout_start=today - timedelta(days=rollout_days))


def _values(**fields: Any) -> dict[str, Any]:
    kinds = {
        "name": ("plain_text_input", "value"),
        "owner": ("users_select", "selected_user"),
        "shipped_on": ("datepicker", "selected_date"),
        "minutes_before": ("number_input", "value"),
        "minutes_after": ("number_input", "value"),
    }
    return {
        block: {"value": {"type": kinds[block][0], kinds[block][1]: value}}
        for block, value in fields.items()
    }


def _modal(running: RunningApp, slack: FakeSlack, user: str, text: str = "workflow") -> dict:
    before = len(slack.calls_to("views.open"))
    assert running.sender().command(text, user_id=user).status == 200
    eventually(lambda: len(slack.calls_to("views.open")) > before)
    return slack.calls_to("views.open")[-1].json("view")


def _click(running: RunningApp, action_id: str, value: int, user: str, shown: dict) -> Any:
    """A click on a button of an ephemeral reply (which Slack gives a response_url)."""
    message = {"blocks": shown.get("blocks"), "text": shown.get("text"), "ts": "1.000001"}
    action = {"type": "button", "action_id": action_id, "value": str(value), "block_id": "b"}
    return running.sender().block_action(
        action, user_id=user, message=message, channel_id="C0GENERAL"
    )


def _records(env: Env) -> list[WorkflowRecord]:
    with env.db.unit_of_work() as session:
        rows = session.query(WorkflowRecord).order_by(WorkflowRecord.id).all()
        session.expunge_all()
        return rows


def _finding(env: Env, mode_id: str) -> str | None:
    with env.db.unit_of_work() as session:
        row = session.query(FindingRecord).filter_by(mode_id=mode_id).one_or_none()
        return row.status if row else None


def test_a_member_adds_a_shipped_workflow_and_the_diagnosis_sees_it(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _team(env)
    view = _modal(running, slack, "U0ANA")
    assert json.loads(view["private_metadata"])["workflow_id"] is None
    owner = next(b for b in view["blocks"] if b.get("block_id") == "owner")
    assert owner["element"]["initial_user"] == "U0ANA"
    shipped = (running.ctx.clock().date() - timedelta(days=3)).isoformat()
    values = _values(
        name="  Weekly   client report ",
        owner="U0ANA",
        shipped_on=shipped,
        minutes_before=None,
        minutes_after="20",
    )
    reply = running.sender().view_submission(view, values, user_id="U0ANA")
    assert reply.status == 200 and reply.text == ""
    (record,) = _records(env)
    assert record.name == "Weekly client report" and record.minutes_before is None
    assert (record.owner_user_id, record.minutes_after) == ("U0ANA", 20)
    # The diagnosis runs at once: a workflow shipped (2.1 fine) but without a baseline (2.4).
    eventually(lambda: _finding(env, "2.4") == "detected")
    assert _finding(env, "2.1") == "ok"
    # Ana is told it was saved, and why the baseline matters.
    eventually(lambda: bool(slack.messages_in(slack.dm_channel("U0ANA"))))
    note = slack.messages_in(slack.dm_channel("U0ANA"))[-1]["text"]
    assert "Weekly client report" in note
    # Her next pulse says that, as a workflow owner, whether she uses AI feeds one check.
    env.tick(utc(2026, 11, 30, 15, 1))  # Monday 10:01 in New York
    pulses = [
        json.dumps(m["blocks"])
        for m in slack.messages_in(slack.dm_channel("U0ANA"))
        if (m.get("metadata") or {}).get("event_type") == "atlas_pulse"
    ]
    assert pulses and "owner of a workflow in the team's registry" in pulses[-1]
    ben = [m for m in slack.messages_in(slack.dm_channel("U0BEN")) if m.get("metadata")]
    assert ben and "registry" not in json.dumps(ben[-1]["blocks"])


def test_bad_values_are_field_errors_and_nothing_is_saved(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _team(env)
    view = _modal(running, slack, "U0ANA")
    tomorrow = (running.ctx.clock().date() + timedelta(days=1)).isoformat()
    bad = _values(
        name="   ",
        owner=None,
        shipped_on=tomorrow,
        minutes_before="0",
        minutes_after="12.5",
    )
    body = running.sender().view_submission(view, bad, user_id="U0ANA").json
    assert body["response_action"] == "errors"
    errors = body["errors"]
    assert set(errors) == {"name", "shipped_on", "minutes_before", "minutes_after"}
    assert "future" in errors["shipped_on"] and "whole minutes" in errors["minutes_after"]
    assert _records(env) == []
    # A name already in the registry is refused too.
    ok = _values(
        name="Triage", owner=None, shipped_on=None, minutes_before="30", minutes_after=None
    )
    running.sender().view_submission(view, ok, user_id="U0ANA")
    again = running.sender().view_submission(view, ok, user_id="U0BEN").json
    assert "already in the registry" in again["errors"]["name"]
    assert len(_records(env)) == 1


def test_edit_remove_and_undo_are_for_the_owner_or_whoever_added_it(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _team(env)
    view = _modal(running, slack, "U0ANA")
    values = _values(
        name="Triage", owner="U0ANA", shipped_on=None, minutes_before="30", minutes_after=None
    )
    running.sender().view_submission(view, values, user_id="U0ANA")
    (record,) = _records(env)
    sender = running.sender()
    # Ben did not add it and does not own it: no edit for him.
    refused = sender.command("workflow edit triage", user_id="U0BEN").json
    assert "Only the team's owner" in refused["text"]
    listing = sender.command("workflow list", user_id="U0BEN").json
    assert "Triage" in json.dumps(listing["blocks"]) and "workflow.edit" not in json.dumps(
        listing["blocks"]
    )
    # The rollout owner may: the modal opens filled in, and the edit is saved.
    edit = _modal(running, slack, "U0OWNER", "workflow edit TRIAGE")
    assert json.loads(edit["private_metadata"])["workflow_id"] == record.id
    fields = {b["block_id"]: b["element"] for b in edit["blocks"] if "block_id" in b}
    assert fields["minutes_before"]["initial_value"] == "30"
    changed = _values(
        name="Ticket triage",
        owner="U0BEN",
        shipped_on=running.ctx.clock().date().isoformat(),
        minutes_before="30",
        minutes_after="10",
    )
    assert sender.view_submission(edit, changed, user_id="U0OWNER").text == ""
    (record,) = _records(env)
    assert (record.name, record.owner_user_id, record.minutes_after) == (
        "Ticket triage",
        "U0BEN",
        10,
    )
    # Remove from the list, then undo.
    listing = sender.command("workflow list", user_id="U0OWNER").json
    assert "workflow.remove" in json.dumps(listing["blocks"])
    removed = _click(running, "workflow.remove", record.id, "U0OWNER", listing)
    assert removed.status == 200
    eventually(lambda: _records(env)[0].archived_at is not None)
    eventually(lambda: any("Removed" in r["text"] for r in slack.responses))
    undo_message = next(r for r in slack.responses if "Removed" in r["text"])
    assert "workflow.undo_remove" in json.dumps(undo_message["blocks"])
    _click(running, "workflow.undo_remove", record.id, "U0OWNER", undo_message)
    eventually(lambda: _records(env)[0].archived_at is None)
    # Someone else's click on Remove is refused and changes nothing.
    _click(running, "workflow.remove", record.id, "U0LEAD", listing)
    eventually(lambda: any("Only the team's owner" in r.get("text", "") for r in slack.responses))
    assert _records(env)[0].archived_at is None


def test_someone_in_no_team_is_pointed_to_setup(running: RunningApp, slack: FakeSlack) -> None:
    reply = running.sender().command("workflow", user_id="U0STRANGER").json
    assert "/atlas setup" in reply["text"]
    assert not slack.calls_to("views.open")
