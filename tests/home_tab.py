"""Reading the App Home tab the app published to the Slack stand-in, and clicking on it."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.views import View

from bot.sandbox import FakeSlack
from bot.sandbox.running import RunningApp
from tests.waiting import eventually


def open_home(running: RunningApp, slack: FakeSlack, user_id: str) -> dict[str, Any]:
    """Open the Home tab as Slack does and return the view the app published."""
    before = len(slack.calls_to("views.publish"))
    reply = running.sender().event(
        {"type": "app_home_opened", "user": user_id, "tab": "home", "channel": "D0HOME"}
    )
    assert reply.status == 200
    eventually(lambda: len(slack.calls_to("views.publish")) > before)
    return slack.published_view(user_id)


def click(
    running: RunningApp, slack: FakeSlack, view: dict[str, Any], action_id: str, user_id: str
) -> dict[str, Any]:
    """Click a button on a published Home tab; returns the tab the app publishes next."""
    block, button = find_button(view, action_id)
    before = len(slack.calls_to("views.publish"))
    reply = running.sender().block_action(
        {
            "type": "button",
            "action_id": button["action_id"],
            "value": button.get("value", ""),
            "block_id": block.get("block_id", "home"),
        },
        user_id=user_id,
        view=view,
    )
    assert reply.status == 200
    eventually(lambda: len(slack.calls_to("views.publish")) > before)
    return slack.published_view(user_id)


def find_button(view: dict[str, Any], action_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The block holding a button, and the button."""
    for block in view["blocks"]:
        elements = block.get("elements", []) if block["type"] == "actions" else []
        if block.get("accessory"):
            elements = [block["accessory"]]
        for element in elements:
            if element.get("action_id") == action_id:
                return block, element
    raise LookupError(f"no {action_id} button on the tab")


def buttons(view: dict[str, Any]) -> list[tuple[str, str]]:
    """(action_id, value) of every button on the tab."""
    found = []
    for block in view["blocks"]:
        elements = list(block.get("elements", [])) if block["type"] == "actions" else []
        if block.get("accessory"):
            elements.append(block["accessory"])
        found += [(e["action_id"], e.get("value", "")) for e in elements]
    return found


def text_of(view: dict[str, Any]) -> str:
    """Every text on the tab, joined, as a person would read it."""
    parts = []
    for block in view["blocks"]:
        if "text" in block:
            parts.append(block["text"]["text"])
        parts += [e.get("text", "") for e in block.get("elements", []) if e["type"] == "mrkdwn"]
    return "\n".join(parts)


def assert_within_slack_limits(view: dict[str, Any]) -> None:
    """At most 100 blocks, each within Block Kit's limits, as slack_sdk checks them."""
    assert len(view["blocks"]) <= 100
    View(type="home", blocks=view["blocks"]).to_dict()  # raises on any per-element limit
    for block in view["blocks"]:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "context":
            assert all(len(e["text"]) <= 3000 for e in block["elements"])
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
            assert all(len(e["text"]["text"]) <= 75 for e in block["elements"])
    assert len(json.dumps(view).encode()) < 250_000
