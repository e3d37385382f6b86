"""Text from members (team and workflow names, what people type) is shown as typed: never a
broadcast, a mention, a link or invisible reordering, and never past Slack's limits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.sandbox import FakeSlack
from bot.sandbox.people import Person
from bot.sandbox.running import RunningApp
from bot.storage.models import Role, Team
from tests.services.conftest import Env, utc
from tests.waiting import eventually

NY = "America/New_York"
MONDAY = utc(2026, 11, 30, 15, 0)
# 80 characters at most: what storage keeps of a name.
HOSTILE = "<!channel> <https://evil.example/login|Re-login> &&\u202eexe.txt\u200b"
INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
LONG = ("<!channel> & <https://evil.example|x> " * 90)[:3400]


@pytest.fixture
def env(running: RunningApp, slack: FakeSlack) -> Env:
    return Env(db=running.db, slack=slack, app=running.ctx)


def _texts(value: Any) -> list[str]:
    """Every text string in a Slack payload (message text, block texts, fallback)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "text" and isinstance(inner, str):
                found.append(inner)
            else:
                found += _texts(inner)
    elif isinstance(value, list):
        for inner in value:
            found += _texts(inner)
    return found


def _assert_safe(payload: dict[str, Any]) -> None:
    for text in _texts(payload):
        assert "<!channel>" not in text and "<https://evil" not in text, text
        assert not set(text) & set(INVISIBLE), repr(text)
        assert "&&" not in text and "&amp;&&" not in text
    blocks = payload.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    assert len(blocks) <= 100 if payload.get("type") in ("home", "modal") else len(blocks) <= 50
    for block in blocks:
        Block.parse(block).to_dict()  # slack_sdk checks each element's limits
        text = block.get("text")
        if isinstance(text, dict):
            assert len(text["text"]) <= 3000


def _hostile_team(env: Env) -> int:
    team_id = env.team(
        [("UOWNER", NY, Role.OWNER), ("UANA", NY, Role.MEMBER), ("UBEN", NY, Role.MEMBER)],
        created="2026-11-27",
    )
    with env.db.unit_of_work() as session:
        session.get(Team, team_id).name = HOSTILE
    return team_id


def _outbound(slack: FakeSlack) -> list[dict[str, Any]]:
    payloads = []
    for call in slack.calls:
        if call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            payloads.append({"text": call.params.get("text"), "blocks": call.json("blocks") or []})
        elif call.method in ("views.publish", "views.open", "views.update"):
            payloads.append(call.json("view"))
    return payloads


def test_a_hostile_team_name_reaches_nobody_as_markup(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _hostile_team(env)
    env.tick(MONDAY)
    ana = Person("UANA", slack, running.sender())
    pulse = ana.latest_pulse()
    assert pulse is not None and "&lt;!channel&gt;" in json.dumps(pulse)
    assert ana.answer("ai_frequency", "daily").status == 200
    sender = running.sender()
    replies = [
        sender.command("pause", user_id="UANA"),
        sender.command("resume", user_id="UANA"),
        sender.command("me", user_id="UANA"),
        sender.command(f"pause {LONG}", user_id="UANA"),
        sender.command(f"setup {LONG}", user_id="UOWNER"),
        sender.command(LONG, user_id="UANA"),
    ]
    sender.event({"type": "app_home_opened", "user": "UOWNER", "tab": "home"})
    sender.event({"type": "app_home_opened", "user": "UANA", "tab": "home"})
    eventually(lambda: len(slack.calls_to("views.publish")) >= 2)
    running.settle()
    for reply in replies:
        assert reply.status == 200
        if reply.body:
            _assert_safe(reply.json)
    for payload in _outbound(slack) + [r for r in slack.responses if isinstance(r, dict)]:
        _assert_safe(payload)
