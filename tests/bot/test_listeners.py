"""Listeners called directly, as plain functions: ack, parse, one service call, one reply."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_bolt.context.ack import Ack
from slack_sdk import WebClient

from bot.context import AppContext
from bot.listeners import commands, diagnosis_actions, pulse_actions
from bot.sandbox import FakeSlack
from bot.services import pulse_answers


@pytest.fixture
def ctx(app_context: AppContext) -> AppContext:
    return app_context


class Replies:
    """Stands in for Bolt's `respond` (a POST to the response_url): keeps what was sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def __call__(self, **message: Any) -> None:
        self.sent.append(message)


def _acked(ack: Ack) -> dict[str, Any]:
    assert ack.response is not None, "the listener did not ack"
    assert ack.response.status == 200
    return json.loads(ack.response.body) if ack.response.body else {}


def _command(text: str) -> dict[str, str]:
    return {"text": text, "user_id": "UANA", "team_id": "T0SANDBOX", "trigger_id": "1.t"}


def test_atlas_2_2_answers_with_its_card_inside_the_ack(ctx: AppContext, slack: FakeSlack) -> None:
    ack = Ack()
    commands.atlas_command(
        ack=ack, command=_command("2.2"), client=WebClient(base_url=slack.api_url), ctx=ctx
    )
    reply = _acked(ack)
    assert reply["response_type"] == "ephemeral"
    assert reply["blocks"][0]["text"]["text"] == "2.2 · Only the AI lead uses the tools"
    assert not slack.calls  # a card needs nothing from Slack


def test_an_unknown_word_gets_a_suggestion_not_an_error(ctx: AppContext, slack: FakeSlack) -> None:
    ack = Ack()
    commands.atlas_command(
        ack=ack, command=_command("pasue"), client=WebClient(base_url=slack.api_url), ctx=ctx
    )
    assert "pause" in json.dumps(_acked(ack))


def test_a_forged_answer_block_id_is_refused_politely(ctx: AppContext) -> None:
    ack, respond = Ack(), Replies()
    pulse_actions.on_answer(
        ack=ack,
        body={"team": {"id": "T0SANDBOX"}, "user": {"id": "UANA"}},
        action={"block_id": "pulse|not-a-number|ai_frequency", "type": "button", "value": "x"},
        respond=respond,
        ctx=ctx,
    )
    _acked(ack)
    [reply] = respond.sent
    assert reply["response_type"] == "ephemeral" and reply["replace_original"] is False
    from bot.blocks import member

    assert reply["text"] == member.refusal(pulse_answers.Refusal.UNKNOWN)


def test_a_self_assessment_with_forged_metadata_is_refused_in_the_modal(ctx: AppContext) -> None:
    ack = Ack()
    diagnosis_actions.on_check(
        ack=ack,
        body={"team": {"id": "T0SANDBOX"}, "user": {"id": "UANA"}},
        view={"private_metadata": '{"team_id": [1]}', "state": {"values": {}}},
        ctx=ctx,
    )
    reply = _acked(ack)
    assert reply["response_action"] == "errors"
    assert "owner" in json.dumps(reply["errors"])
