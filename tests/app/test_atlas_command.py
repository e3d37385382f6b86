"""`/atlas` through the real app over HTTP: cards, lists, search, help and bad input."""

from __future__ import annotations

import json
import time

import pytest

from atlas.modes import MODES
from atlas.taxonomy import ATLAS_URL
from bot.sandbox import FakeSlack
from bot.sandbox.running import RunningApp

WEB_API_METHODS = (
    "auth.test",
    "chat.postMessage",
    "chat.postEphemeral",
    "views.open",
    "views.publish",
    "users.info",
    "conversations.open",
    "team.info",
)


def _texts(reply: dict) -> str:
    """Every piece of text in a message payload, joined, for searching."""
    return json.dumps(reply, ensure_ascii=False)


def _header(reply: dict) -> str:
    return next(b["text"]["text"] for b in reply["blocks"] if b["type"] == "header")


def test_atlas_2_2_answers_with_its_card(running: RunningApp) -> None:
    reply = running.sender().command("2.2")
    assert reply.status == 200
    body = reply.json
    assert body["response_type"] == "ephemeral"
    assert _header(body) == "2.2 · Only the AI lead uses the tools"
    text = _texts(body)
    mode = next(m for m in MODES if m.id == "2.2")
    for part in (mode.description, mode.in_slack, mode.first_move, "Stage 2 · Launch"):
        assert part in text
    assert ATLAS_URL in text  # the attribution and link the atlas asks for


def test_every_mode_id_answers_with_its_own_card(running: RunningApp) -> None:
    sender = running.sender()
    for mode in MODES:
        reply = sender.command(mode.id)
        assert reply.status == 200
        assert _header(reply.json) == f"{mode.id} · {mode.title}"
        assert mode.first_move in _texts(reply.json)
        assert ATLAS_URL in _texts(reply.json)
        assert len(reply.json["blocks"]) <= 50


@pytest.mark.parametrize("text", ["", "help", "HELP", "  help  "])
def test_help_says_what_the_command_does(running: RunningApp, text: str) -> None:
    body = running.sender().command(text).json
    assert "/atlas 2.2" in _texts(body) and "/atlas list" in _texts(body)
    assert body["response_type"] == "ephemeral"


def test_list_groups_all_25_modes_by_stage(running: RunningApp) -> None:
    body = running.sender().command("list").json
    text = _texts(body)
    for mode in MODES:
        assert f"`{mode.id}` {mode.title}" in text
    for stage in (
        "Stage 1 · Pre-rollout",
        "Stage 2 · Launch",
        "Stage 3 · Adoption",
        "Stage 4 · Scaling",
    ):
        assert stage in text


def test_stage_2_lists_only_stage_2(running: RunningApp) -> None:
    text = _texts(running.sender().command("stage 2").json)
    assert all(f"`2.{n}`" in text for n in range(1, 8))
    assert "`1.1`" not in text and "`3.1`" not in text


def test_a_word_search_returns_the_best_match(running: RunningApp) -> None:
    body = running.sender().command("ceo").json
    assert _header(body) == "2.3 · CEO does not use AI personally"  # one clear match: its card
    text = _texts(running.sender().command("owner").json)
    assert text.index("`1.1`") < text.index("`3.5`")  # ranked, best first


def test_recovery_shows_the_five_steps(running: RunningApp) -> None:
    text = _texts(running.sender().command("recovery").json)
    assert "60" in text and "2 weeks" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9.9", "stages 1 to 4"),
        ("2.8", "/atlas 2.7"),
        ("stage 7", "stages 1 to 4"),
        ("lekage", "/atlas 3.4"),
        ("😀🔥", "/atlas list"),
        ("x" * 5000, "5,000 characters"),
        ("<@U123>", "Mentions and links are not failure modes"),
        ("<!channel>", "Mentions and links are not failure modes"),
        ("<!here>", "Mentions and links are not failure modes"),
        ("<!here|here> 2.8", "/atlas 2.7"),
        ("@here xyzzy", "/atlas list"),
    ],
)
def test_bad_input_gets_a_helpful_ephemeral_reply(
    running: RunningApp, text: str, expected: str
) -> None:
    reply = running.sender().command(text)
    assert reply.status == 200
    body = reply.json
    assert body["response_type"] == "ephemeral"
    assert expected in _texts(body)
    shown = _texts(body)
    for forbidden in ("<@U123>", "<!channel>", "<!here", "@here", "@channel"):
        assert forbidden not in shown, f"{forbidden!r} echoed back"


def test_the_reply_arrives_in_time_when_the_web_api_is_failing(
    running: RunningApp, slack: FakeSlack
) -> None:
    for method in WEB_API_METHODS:
        slack.fail(method, "server_error", times=None, status=503)
    slack.fail("chat.postMessage", "slow", times=None, delay=5)
    started = time.perf_counter()
    reply = running.sender().command("2.2")
    elapsed = time.perf_counter() - started
    assert reply.status == 200 and _header(reply.json).startswith("2.2")
    assert elapsed < 3.0
    assert [c for c in slack.calls if c.method != "auth.test"] == []  # answered without Slack


def test_only_a_recorded_workspace_is_served(running: RunningApp) -> None:
    from bot.services import workspaces
    from bot.storage import workspaces as repo

    running.sender().command("help")
    with running.db.unit_of_work() as session:
        assert repo.get_by_slack_id(session=session, slack_team_id="T0SANDBOX") is not None
    other = running.sender()
    other.team_id = "T0OTHER"
    refused = other.command("2.2")
    assert refused.status == 200 and "isn't installed" in refused.json["text"]
    with running.db.unit_of_work() as session:
        assert repo.get_by_slack_id(session=session, slack_team_id="T0OTHER") is None
    workspaces.ensure(db=running.db, slack_team_id="T0OTHER")  # as `atlas-bot team create` does
    assert _header(other.command("2.2").json).startswith("2.2")
