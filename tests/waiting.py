"""Waiting for something the app does in the background (a listener after its ack)."""

from __future__ import annotations

from collections.abc import Callable

from bot.polling import poll_until


def eventually(check: Callable[[], bool], seconds: float = 5.0) -> None:
    """Poll `check` until it holds; fail the test if it does not within `seconds`."""
    assert poll_until(check, seconds, interval=0.02), "timed out waiting"
