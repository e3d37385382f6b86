"""Waiting for a condition that another thread makes true, by polling.

Short sleeps rather than a timed lock wait (`Event.wait(t)`), which never times out when the
system clock is faked (libfaketime) and so would turn a bounded wait into a hang.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def poll_until(check: Callable[[], object], seconds: float, interval: float = 0.005) -> bool:
    """True as soon as `check()` holds; False if it still does not after `seconds`."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True
