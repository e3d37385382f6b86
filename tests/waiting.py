"""Waiting for something the app does in the background (a listener after its ack)."""

from __future__ import annotations

import time
from collections.abc import Callable


def eventually(check: Callable[[], bool], seconds: float = 5.0) -> None:
    """Poll `check` until it holds; fail the test if it does not within `seconds`."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)
