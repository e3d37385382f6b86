"""Events (uninstall, Home tab) and the error funnel, through the real app over HTTP."""

from __future__ import annotations

import logging

import pytest
from slack_bolt import Ack

from bot.listeners.guard import guarded
from bot.sandbox import FakeSlack
from bot.sandbox.running import RunningApp
from bot.storage import workspaces as repo
from tests.waiting import eventually


def _workspace(running: RunningApp, team_id: str = "T0SANDBOX"):
    with running.db.unit_of_work() as session:
        return repo.get_by_slack_id(session=session, slack_team_id=team_id)


def test_start_up_records_the_workspace_and_bot_identity(running: RunningApp) -> None:
    row = _workspace(running)
    assert row is not None and row.active
    assert (row.bot_user_id, row.bot_id, row.name) == ("U0ATLASBOT", "B0ATLASBOT", "Sandbox Co")


@pytest.mark.parametrize("event_type", ["app_uninstalled", "tokens_revoked"])
def test_removing_the_app_marks_the_workspace_inactive(
    running: RunningApp, event_type: str
) -> None:
    event = {"type": event_type}
    if event_type == "tokens_revoked":
        event["tokens"] = {"bot": ["U0ATLASBOT"]}
    reply = running.sender().event(event)
    assert reply.status == 200
    eventually(lambda: not _workspace(running).active, 3)
    row = _workspace(running)
    assert row.active is False and row.deactivated_at is not None


def test_opening_the_home_tab_publishes_it(running: RunningApp, slack: FakeSlack) -> None:
    reply = running.sender().event(
        {"type": "app_home_opened", "user": "U0MEMBER1", "tab": "home", "channel": "D1"}
    )
    assert reply.status == 200
    eventually(lambda: slack.published_view("U0MEMBER1") is not None, 3)
    view = slack.published_view("U0MEMBER1")
    assert view is not None and view["type"] == "home"
    assert "/atlas 2.2" in str(view["blocks"])
    assert len(view["blocks"]) <= 100


def test_a_failing_web_api_does_not_fail_the_event(
    running: RunningApp, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.fail("views.publish", "error", times=None, error="account_inactive")
    with caplog.at_level(logging.WARNING, logger="bot.listeners.home"):
        reply = running.sender().event(
            {"type": "app_home_opened", "user": "U0MEMBER1", "tab": "home", "channel": "D1"}
        )
        assert reply.status == 200
        running.settle()
    assert any("account_inactive" in r.getMessage() for r in caplog.records)
    assert slack.calls_to("views.publish", outcome="error:account_inactive")


def _boom_after_ack(ack: Ack) -> None:
    ack()
    raise RuntimeError("broke after the ack")


def _boom_before_ack(ack: Ack) -> None:
    raise RuntimeError("broke before the ack")


def test_an_error_after_the_ack_still_answers_at_once_and_tells_the_user(
    running: RunningApp, slack: FakeSlack
) -> None:
    running.app.command("/boom")(guarded(_boom_after_ack))
    reply = running.sender().command("", command="/boom")
    assert reply.status == 200 and reply.elapsed < 1.0  # not a 3 s hang then 404
    eventually(lambda: bool(slack.responses), 3)
    assert "error id" in slack.responses[0]["text"]
    assert slack.responses[0]["response_type"] == "ephemeral"
    assert "Traceback" not in slack.responses[0]["text"]


def test_an_error_before_the_ack_becomes_a_clear_ephemeral_reply(running: RunningApp) -> None:
    running.app.command("/boom")(guarded(_boom_before_ack))
    reply = running.sender().command("", command="/boom")
    assert reply.status == 200
    assert reply.json["response_type"] == "ephemeral"
    assert "error id" in reply.json["text"] and "RuntimeError" not in reply.text
