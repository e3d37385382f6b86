"""Only workspaces that installed the app are served: a signed request from any other does
nothing, records nothing, and calls Slack for nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.app import NOT_SERVED_MESSAGE
from bot.sandbox import FakeSlack
from bot.sandbox.running import RunningApp
from bot.services import workspaces
from bot.storage.models import Base
from tests.waiting import eventually

STRANGER = "T0STRANGER"
# The replay ledger records every signed request before it is dispatched (that is its point)
# and forgets it within minutes; it holds no state of any workspace.
LEDGER = "seen_requests"


def _rows(running: RunningApp) -> dict[str, int]:
    with running.db.unit_of_work() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
            if table.name != LEDGER
        }


def _setup_view(running: RunningApp, slack: FakeSlack) -> dict[str, Any]:
    before = len(slack.calls_to("views.open"))
    assert running.sender().command("setup", user_id="U0OWNER").status == 200
    eventually(lambda: len(slack.calls_to("views.open")) > before)
    return slack.calls_to("views.open")[-1].json("view")


SETUP_VALUES = {
    "name": {"value": {"type": "plain_text_input", "value": "Hijack"}},
    "channel": {"value": {"type": "conversations_select", "selected_conversation": "C0GENERAL"}},
    "owner": {"value": {"type": "users_select", "selected_user": "U0OWNER"}},
    "timezone": {"value": {"type": "plain_text_input", "value": "UTC"}},
}


def test_a_workspace_that_never_installed_the_app_is_not_served(
    running: RunningApp, slack: FakeSlack
) -> None:
    slack.channel_members["C0GENERAL"] = ["U0OWNER", "U0MEMBER1"]
    view = _setup_view(running, slack)
    running.settle()
    rows, calls = _rows(running), len(slack.calls)

    stranger = running.sender()
    stranger.team_id = STRANGER
    command = stranger.command("setup Hijack", user_id="U0OWNER")
    pause = stranger.command("pause", user_id="U0MEMBER1")
    click = stranger.block_action(
        {"action_id": "finding.ack", "value": "1", "type": "button", "block_id": "b"},
        user_id="U0OWNER",
    )
    submission = stranger.view_submission(view, SETUP_VALUES, user_id="U0OWNER")
    home = stranger.event({"type": "app_home_opened", "user": "U0OWNER", "tab": "home"})
    joined = stranger.event(
        {"type": "member_joined_channel", "user": "U0MEMBER1", "channel": "C0GENERAL"}
    )
    running.settle()

    for reply in (command, pause):
        assert reply.status == 200 and reply.json["text"] == NOT_SERVED_MESSAGE
    for reply in (click, submission, home, joined):
        assert (reply.status, reply.body) == (200, b"")  # nothing done; Slack won't retry
    assert _rows(running) == rows  # not a workspace row, not a team, not a delivery
    assert [c.method for c in slack.calls[calls:]] == []  # nobody was messaged
    assert workspaces.find(db=running.db, slack_team_id=STRANGER) is None


def test_a_workspace_that_removed_the_app_is_not_served_either(running: RunningApp) -> None:
    sandbox = running.sender()
    assert sandbox.command("help").status == 200
    workspaces.deactivate(db=running.db, slack_team_id=sandbox.team_id)
    running.ctx.workspaces.forget(sandbox.team_id)
    assert sandbox.command("help").json["text"] == NOT_SERVED_MESSAGE
