"""The door before Bolt: Slack's own envelopes pass, shapes Slack never sends are named and
refused (each of these once reached code that raised, and the request ended as a 500)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.web import payload_problem

USER = {"id": "U0MEMBER1", "team_id": "T0SANDBOX", "username": "mo"}
TEAM = {"id": "T0SANDBOX", "domain": "sandbox"}
CLICK = {
    "type": "block_actions",
    "user": USER,
    "team": TEAM,
    "trigger_id": "1.trigger",
    "actions": [{"action_id": "pulse.answer.ai_frequency", "block_id": "pulse|1|ai_frequency"}],
}
ON_MESSAGE = {
    **CLICK,
    "container": {"type": "message", "message_ts": "1.2"},
    "channel": {"id": "D0DM"},
    "message": {"ts": "1.2", "text": "Pulse", "blocks": []},
    "response_url": "https://hooks.slack.com/actions/T/1/x",
}
ON_HOME = {
    **CLICK,
    "container": {"type": "view", "view_id": "V1"},
    "view": {"id": "V1", "type": "home", "callback_id": "", "private_metadata": "", "hash": "h"},
}
SUBMISSION = {
    "type": "view_submission",
    "user": USER,
    "team": TEAM,
    "view": {
        "id": "V2",
        "type": "modal",
        "callback_id": "atlas.setup",
        "private_metadata": '{"team_id": null}',
        "state": {
            "values": {
                "name": {"value": {"type": "plain_text_input", "value": "Data"}},
                "owner": {"value": {"type": "users_select", "selected_user": None}},
                "tools": {"value": {"type": "plain_text_input", "value": None}},
                "stage_1": {
                    "marks": {"type": "multi_static_select", "selected_options": [{"value": "1.1"}]}
                },
                "usergroup": {"value": {"type": "static_select", "selected_option": None}},
            }
        },
    },
}
COMMAND = {
    "command": "/atlas",
    "text": "pause until Dec 24",
    "user_id": "U0MEMBER1",
    "team_id": "T0SANDBOX",
    "channel_id": "C0GENERAL",
    "trigger_id": "1.trigger",
    "response_url": "https://hooks.slack.com/commands/T/1/x",
}
EVENTS = [
    {"type": "app_home_opened", "user": "U0MEMBER1", "channel": "D0DM", "tab": "home"},
    {"type": "member_joined_channel", "user": "U1", "channel": "C1", "team": "T0SANDBOX"},
    {"type": "team_join", "user": {"id": "U2", "team_id": "T0SANDBOX", "deleted": False}},
    {"type": "subteam_members_changed", "subteam_id": "S1", "added_users": ["U1", "U2"]},
    {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0ATLASBOT"]}},
    {"type": "channel_created", "channel": {"id": "C9", "name": "new"}},
    {"type": "app_uninstalled"},
]


def _callback(event: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "event_callback",
        "team_id": "T0SANDBOX",
        "event_id": "Ev0123ABC",
        "event": event,
        "authorizations": [{"team_id": "T0SANDBOX", "user_id": "U0ATLASBOT", "is_bot": True}],
        **extra,
    }


@pytest.mark.parametrize(
    "body",
    [COMMAND, ON_MESSAGE, ON_HOME, SUBMISSION, {**SUBMISSION, "type": "view_closed"}]
    + [_callback(e) for e in EVENTS]
    + [{"type": "url_verification", "challenge": "abc", "token": "x"}],
)
def test_slacks_own_envelopes_pass(body: dict[str, Any]) -> None:
    assert payload_problem(body) is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({**COMMAND, "user_id": ""}, "a command needs its user_id"),
        ({k: v for k, v in COMMAND.items() if k != "trigger_id"}, "a command needs its trigger_id"),
        ({**COMMAND, "team_id": "T" * 33}, "team_id is not a Slack id"),
        ({**COMMAND, "user_id": "U0\x00"}, "user_id is not a Slack id"),
        ({**ON_MESSAGE, "user": {"id": ["U1"]}}, "user.id is not a Slack id"),
        ({**ON_MESSAGE, "user": {"team_id": "T0SANDBOX"}}, "an interaction needs the user's id"),
        ({**ON_MESSAGE, "view": None}, "view is not an object"),
        ({**ON_MESSAGE, "actions": [{"action_id": "a", "value": 5}]}, "value is not a string"),
        (
            {**ON_MESSAGE, "actions": [{"action_id": "a", "selected_options": [{"value": 1}]}]},
            "each selected option needs a value",
        ),
        ({**ON_MESSAGE, "message": {"blocks": {}}}, "message blocks is not a list"),
        (
            {"type": "interactive_message", "callback_id": "x", "actions": {"0": {}}},
            "actions must be a non-empty list",
        ),
        ({**SUBMISSION, "view": {**SUBMISSION["view"], "private_metadata": 1}}, "view private"),
        (
            {**SUBMISSION, "view": {**SUBMISSION["view"], "state": {"values": []}}},
            "view state values",
        ),
        (
            {**SUBMISSION, "view": {**SUBMISSION["view"], "state": {"values": {"a": {"b": 1}}}}},
            "view state values",
        ),
        ({**SUBMISSION, "view": {**SUBMISSION["view"], "type": "workflow_step"}}, "workflow"),
        ({"type": "workflow_step_edit", "callback_id": "x"}, "workflow steps are not served"),
        (_callback(EVENTS[0], event_id="Ev 1"), "event_id is not a Slack event id"),
        (_callback({"type": "app_home_opened", "user": 5}), "event.user is not a Slack id"),
        (_callback({**EVENTS[3], "added_users": "U1"}), "event.added_users is not a list"),
        (_callback(EVENTS[0], authorizations=[1]), "authorizations is not a list of objects"),
    ],
)
def test_shapes_slack_never_sends_are_named(body: dict[str, Any], problem: str) -> None:
    found = payload_problem(body)
    assert found is not None and found.startswith(problem), found
