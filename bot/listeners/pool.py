"""The threads Bolt runs listeners on, counting the work in flight.

Bolt hands each request's listener to this pool and answers Slack once the listener acks; the
work after the ack goes on here. Knowing how much is still running lets a health check or a
metric report a saturated pool, and lets a simulation wait for the app to finish what it was
asked instead of sleeping for a guessed while.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from bot import observability
from bot.polling import poll_until


class ListenerPool(ThreadPoolExecutor):
    """A ThreadPoolExecutor that knows how many submitted tasks have not finished."""

    def __init__(self, max_workers: int, thread_name_prefix: str = "bolt-listener") -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self._count_lock = threading.Lock()
        self._in_flight = 0
        # The same count for Prometheus, per pool name (listeners and background work apart).
        self._gauge = observability.POOL_IN_FLIGHT.labels(thread_name_prefix)
        observability.POOL_WORKERS.labels(thread_name_prefix).set(max_workers)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run `fn` on a listener thread, counted until it returns or raises."""
        with self._count_lock:
            self._in_flight += 1
        self._gauge.inc()
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._finished(None)
            raise
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future: Future[Any] | None) -> None:
        with self._count_lock:
            self._in_flight -= 1
        self._gauge.dec()

    @property
    def in_flight(self) -> int:
        """Tasks submitted and not yet finished (running or queued)."""
        with self._count_lock:
            return self._in_flight

    def wait_idle(self, seconds: float = 10.0) -> bool:
        """Wait until nothing is in flight; False if work is still running after `seconds`."""
        return poll_until(lambda: not self.in_flight, seconds, interval=0.002)
