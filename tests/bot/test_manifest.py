"""The manifest subscribes to exactly the events the app has listeners for."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _bot_events() -> set[str]:
    text = (ROOT / "manifest.yml").read_text(encoding="utf-8")
    block = text.split("bot_events:", 1)[1]
    events = set()
    for line in block.splitlines()[1:]:
        found = re.match(r"^\s+- ([a-z_]+)", line)
        if not found:
            break
        events.add(found.group(1))
    return events


def test_every_event_the_app_handles_is_subscribed_in_the_manifest() -> None:
    handled = set()
    for path in (ROOT / "bot" / "listeners").glob("*.py"):
        handled |= set(re.findall(r'app\.event\("([a-z_]+)"\)', path.read_text(encoding="utf-8")))
    assert handled == _bot_events()
    assert {"member_joined_channel", "member_left_channel", "subteam_members_changed"} <= handled
