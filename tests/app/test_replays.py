"""Replays: a signed request captured and sent again inside Slack's window does nothing."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import replay
from bot.sandbox import FakeSlack
from bot.sandbox.people import Person
from bot.sandbox.running import SANDBOX_SIGNING_SECRET, RunningApp
from bot.sandbox.signer import SignedSender, SlackReply, wsgi_transport
from bot.storage.models import Answer, Delivery, Member, Role, SeenRequest, WorkflowRecord
from tests.services.conftest import Env, utc
from tests.waiting import eventually

NY = "America/New_York"
MONDAY = utc(2026, 11, 30, 15, 0)

Captured = tuple[str, bytes, dict[str, str]]


@pytest.fixture
def env(running: RunningApp, slack: FakeSlack) -> Env:
    return Env(db=running.db, slack=slack, app=running.ctx)


def _recording(running: RunningApp, slack: FakeSlack) -> tuple[SignedSender, list[Captured]]:
    """A sender whose every request (its bytes and headers) is kept, as an eavesdropper would."""
    assert running.wsgi is not None
    deliver = wsgi_transport(running.wsgi)
    captured: list[Captured] = []

    def send(url: str, body: bytes, headers: dict[str, str], method: str = "POST") -> SlackReply:
        captured.append((url, body, dict(headers)))
        return deliver(url, body, headers, method)

    sender = SignedSender(
        "http://in-process",
        SANDBOX_SIGNING_SECRET,
        team_id=slack.team_id,
        response_url_base=slack.base_url + "/response",
        transport=send,
    )
    return sender, captured


def _replay(running: RunningApp, request: Captured) -> SlackReply:
    assert running.wsgi is not None
    url, body, headers = request
    return wsgi_transport(running.wsgi)(url, body, headers, "POST")


def _answers(env: Env, user_id: str) -> dict[str, list[str]]:
    with env.db.unit_of_work() as session:
        rows = session.execute(
            select(Answer.question_id, Answer.value)
            .join(Delivery, Delivery.id == Answer.delivery_id)
            .join(Member, Member.id == Delivery.member_id)
            .where(Member.slack_user_id == user_id)
        ).all()
    return {qid: list(value) for qid, value in rows}


def test_a_replayed_click_does_not_change_an_answer_back(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    env.team(
        [("UOWNER", NY, Role.OWNER), ("UANA", NY, Role.MEMBER), ("UBEN", NY, Role.MEMBER)],
        created="2026-11-27",
    )
    env.tick(MONDAY)
    sender, captured = _recording(running, slack)
    ana = Person("UANA", slack, sender)
    assert ana.answer("ai_frequency", "daily").status == 200
    first_click = captured[-1]
    running.settle()
    assert ana.answer("ai_frequency", "several").status == 200
    running.settle()
    assert _answers(env, "UANA") == {"ai_frequency": ["several"]}

    replayed = _replay(running, first_click)
    running.settle()
    assert replayed.status == 200 and replayed.body == b""
    assert _answers(env, "UANA") == {"ai_frequency": ["several"]}  # the stale answer stays gone


def _workflow_team(env: Env) -> None:
    people = [
        ("U0OWNER", NY, Role.OWNER),
        ("U0ANA", NY, Role.MEMBER),
        ("U0BEN", NY, Role.MEMBER),
    ]
    assert env.app is not None
    today = env.app.clock().date()
    env.team(people, rollout_start=today - timedelta(days=45))


def _click(sender: SignedSender, action_id: str, value: int, shown: dict[str, Any]) -> None:
    message = {"blocks": shown.get("blocks"), "text": shown.get("text"), "ts": "1.000001"}
    action = {"type": "button", "action_id": action_id, "value": str(value), "block_id": "b"}
    reply = sender.block_action(action, user_id="U0OWNER", message=message, channel_id="C0GEN")
    assert reply.status == 200


def _archived(env: Env) -> bool:
    with env.db.unit_of_work() as session:
        (record,) = session.scalars(select(WorkflowRecord)).all()
        return record.archived_at is not None


def test_a_replayed_remove_does_not_undo_the_undo(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _workflow_team(env)
    sender, captured = _recording(running, slack)
    before = len(slack.calls_to("views.open"))
    sender.command("workflow", user_id="U0ANA")
    eventually(lambda: len(slack.calls_to("views.open")) > before)
    view = slack.calls_to("views.open")[-1].json("view")
    values = {"name": {"value": {"type": "plain_text_input", "value": "Triage"}}}
    assert sender.view_submission(view, values, user_id="U0ANA").status == 200
    with env.db.unit_of_work() as session:
        (record_id,) = session.scalars(select(WorkflowRecord.id)).all()

    listing = sender.command("workflow list", user_id="U0OWNER").json
    assert "workflow.remove" in json.dumps(listing["blocks"])
    _click(sender, "workflow.remove", record_id, listing)
    remove = captured[-1]
    eventually(lambda: _archived(env))
    eventually(lambda: any("Removed" in r.get("text", "") for r in slack.responses))
    undo = next(r for r in slack.responses if "Removed" in r.get("text", ""))
    _click(sender, "workflow.undo_remove", record_id, undo)
    eventually(lambda: not _archived(env))
    running.settle()

    replies = len(slack.responses)
    assert _replay(running, remove).status == 200
    running.settle()
    time.sleep(0.2)  # anything the replay would have handed off has had time to run
    assert not _archived(env)
    assert len(slack.responses) == replies  # not even a message about it


def test_a_replayed_command_gets_a_plain_note(running: RunningApp, slack: FakeSlack) -> None:
    sender, captured = _recording(running, slack)
    assert sender.command("help").status == 200
    again = _replay(running, captured[-1])
    assert again.status == 200 and again.json["text"] == replay.REPLAY_NOTE


def test_a_request_that_failed_is_not_taken_for_a_replay_when_slack_sends_it_again(
    running: RunningApp, slack: FakeSlack, env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    sender, captured = _recording(running, slack)
    real = running.app.dispatch

    def down(request: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(running.app, "dispatch", down)
    assert sender.command("help").status == 503
    monkeypatch.setattr(running.app, "dispatch", real)
    assert _replay(running, captured[-1]).json["text"] != replay.REPLAY_NOTE


def test_a_replay_is_caught_by_another_process_and_expired_signatures_are_purged(
    running: RunningApp, slack: FakeSlack
) -> None:
    sender, captured = _recording(running, slack)
    sender.command("help")
    # Another process (its own guard, the same database) sees the same request later.
    other = replay.ReplayGuard(running.db)
    headers = {k.lower(): v for k, v in captured[-1][2].items()}
    assert other.admit(headers).replayed
    # Once its window has closed, the row goes at the next purge (the signature check
    # refuses so old a request by then anyway).
    later = time.time() + replay.SIGNATURE_WINDOW.total_seconds() * 3
    fresh = {**headers, "x-slack-signature": "v0=" + "0" * 64}
    fresh["x-slack-request-timestamp"] = str(int(later))
    assert not other.admit(fresh, now=later).replayed
    with running.db.unit_of_work() as session:
        keys = session.scalars(select(SeenRequest.key)).all()
        assert keys == [fresh["x-slack-signature"]]
        assert session.scalar(select(func.count()).select_from(SeenRequest)) == 1
