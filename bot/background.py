"""Work a listener hands off so that it never waits on Slack while a person waits on it.

A listener answers Slack inside its 3 seconds; whatever may wait (a rate limit's Retry-After, a
slow Web API method, many calls in a row) goes here and reports back through a DM, a message
update or the Home tab. These threads are not the listener pool's, so a flood of slow work never
takes a thread from the next `/atlas` command.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from bot.errors import new_error_id
from bot.listeners.pool import ListenerPool

log = logging.getLogger(__name__)


class Stopped(Exception):
    """The app is shutting down: work waiting on Slack gives up instead of holding the exit."""


def interruptible_sleep(
    stopping: threading.Event, *, slice_seconds: float = 0.1
) -> Callable[[float], None]:
    """A `time.sleep` for paced callers that raises `Stopped` soon after `stopping` is set.

    It sleeps in short slices rather than in `Event.wait(timeout)`, whose timeout some
    clock-faking tools never let run out.
    """

    def sleep(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, slice_seconds))
        raise Stopped

    return sleep


class Background:
    """A small pool for hand-offs; work with the same `key` waiting to start runs once."""

    def __init__(self, workers: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.pool = ListenerPool(max_workers=workers, thread_name_prefix="atlas-background")
        self._lock = threading.Lock()
        self._waiting: set[Hashable] = set()

    def submit(
        self,
        work: Callable[..., Any],
        /,
        *args: Any,
        key: Hashable | None = None,
        expires_after: float | None = None,
        **kwargs: Any,
    ) -> bool:
        """Run `work(*args, **kwargs)` soon. False when the same `key` is already waiting to run.

        A Home tab refresh asked for twice before the first one starts is built once, from the
        newest data, which is all either request wanted. Work that only makes sense soon (filling
        in a modal the person is looking at) gives `expires_after` seconds and is dropped if it
        could not start by then.
        """
        submitted = self._clock()
        if key is not None:
            with self._lock:
                if key in self._waiting:
                    return False
                self._waiting.add(key)

        def run() -> None:
            if key is not None:
                with self._lock:
                    self._waiting.discard(key)
            if expires_after is not None and self._clock() - submitted > expires_after:
                log.info("background work %s dropped: too late to be of use", _name(work))
                return
            try:
                work(*args, **kwargs)
            except Stopped:
                log.info("background work %s stopped: the app is shutting down", _name(work))
            except Exception:
                log.exception(
                    "background work %s failed (error id %s)", _name(work), new_error_id()
                )

        self.pool.submit(run)
        return True

    @property
    def in_flight(self) -> int:
        """Hand-offs submitted and not yet finished."""
        return self.pool.in_flight

    def wait_idle(self, seconds: float = 10.0) -> bool:
        """Wait until every hand-off has finished; False if some are still running."""
        return self.pool.wait_idle(seconds)

    def shutdown(self, *, drain: bool = True) -> None:
        """Stop the threads: after finishing what was handed off, or (`drain=False`) dropping
        what has not started."""
        self.pool.shutdown(wait=True, cancel_futures=not drain)


def _name(work: Callable[..., Any]) -> str:
    return getattr(work, "__qualname__", None) or repr(work)
