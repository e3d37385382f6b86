"""Slack's published Web API rate limits, as a model the sandbox server can enforce.

Per method and workspace, Slack allows a number of calls per minute ("tiers"). chat.postMessage
is special: about one message per second per channel with short bursts, plus a workspace-wide
limit that Slack does not publish. `RateLimiter` admits or refuses one call at a time; it keeps
no clock of its own (the caller passes `now`), so its window logic can be checked without sleeping.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass

WINDOW_SECONDS = 60.0

# Calls per minute, per method and workspace, before `scale`.  None (or absent): not limited.
# Tier 2 = 20, Tier 3 = 50, Tier 4 = 100 (https://docs.slack.dev/apis/web-api/rate-limits).
# auth.test is "Tier special" and generous: we treat it as unlimited, as api.test.
# conversations.history is Tier 3 for internal and Marketplace apps; Slack cut it to 1/min for
# commercially distributed non-Marketplace apps created after 2025-05-29, which we do not model.
METHOD_PER_MINUTE: dict[str, int | None] = {
    "api.test": None,
    "auth.test": None,
    # Tier 2
    "users.list": 20,
    "usergroups.users.list": 20,
    "conversations.list": 20,
    # Tier 3
    "conversations.open": 50,
    "chat.update": 50,
    "chat.delete": 50,
    "chat.scheduleMessage": 50,
    "team.info": 50,
    "users.lookupByEmail": 50,
    "conversations.history": 50,
    "conversations.info": 50,
    # Tier 4
    "users.info": 100,
    "views.open": 100,
    "views.publish": 100,
    "views.update": 100,
    "views.push": 100,
    "chat.postEphemeral": 100,
    "files.getUploadURLExternal": 100,
    "files.completeUploadExternal": 100,
    "conversations.members": 100,
}

POST_MESSAGE = "chat.postMessage"
# chat.postMessage per channel: a token bucket this deep, refilled at this rate (before `scale`).
CHANNEL_BURST = 3
CHANNEL_PER_SECOND = 1.0
# Room for float rounding: a client that waits exactly the time we name must get through.
_EPSILON = 1e-9


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Sliding 60 s windows per method, and per-channel token buckets for chat.postMessage."""

    def __init__(
        self, *, scale: float = 1.0, post_message_workspace_per_minute: int | None = 240
    ) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.scale = scale
        # Every allowance is multiplied by `scale`, so a scaled run keeps the shape of a real one.
        self.channel_burst = max(1, round(CHANNEL_BURST * scale))
        self.channel_per_second = CHANNEL_PER_SECOND * scale
        self.workspace_per_minute = (
            None
            if post_message_workspace_per_minute is None
            else self._scaled(post_message_workspace_per_minute)
        )
        self._windows: dict[str, deque[float]] = {}
        self._buckets: dict[str, _Bucket] = {}
        # The HTTP server is threaded: checking and consuming allowance must be one step.
        self._lock = threading.Lock()

    def _scaled(self, per_minute: int) -> int:
        return max(1, round(per_minute * self.scale))

    def per_minute(self, method: str) -> int | None:
        """The effective sliding-window allowance of a method (None: not limited)."""
        if method == POST_MESSAGE:
            return self.workspace_per_minute
        base = METHOD_PER_MINUTE.get(method)
        return None if base is None else self._scaled(base)

    def reset(self) -> None:
        """Forget every window and bucket (the limits stay)."""
        with self._lock:
            self._windows.clear()
            self._buckets.clear()

    def admit(self, method: str, channel: str | None, now: float) -> float:
        """Take allowance for one call and return 0, or return seconds until a slot frees.

        A refused call takes nothing, so a client hammering the limit does not push it further.
        `channel` only matters for chat.postMessage (the resolved channel id).
        """
        with self._lock:
            window = self._window_wait(method, now)
            bucket = (
                self._bucket_wait(channel, now)
                if method == POST_MESSAGE and channel is not None
                else 0.0
            )
            wait = max(window, bucket)
            if wait > 0:
                return wait
            if self.per_minute(method) is not None:
                self._windows.setdefault(method, deque()).append(now)
            if method == POST_MESSAGE and channel is not None:
                self._buckets[channel].tokens -= 1
            return 0.0

    def _window_wait(self, method: str, now: float) -> float:
        allowance = self.per_minute(method)
        if allowance is None:
            return 0.0
        window = self._windows.setdefault(method, deque())
        while window and window[0] <= now - WINDOW_SECONDS + _EPSILON:
            window.popleft()
        if len(window) < allowance:
            return 0.0
        # Full: the oldest call's slot frees when it leaves the window.
        return window[0] + WINDOW_SECONDS - now

    def _bucket_wait(self, channel: str, now: float) -> float:
        bucket = self._buckets.get(channel)
        if bucket is None:
            bucket = self._buckets[channel] = _Bucket(float(self.channel_burst), now)
        elapsed = max(0.0, now - bucket.updated)
        bucket.tokens = min(
            float(self.channel_burst), bucket.tokens + elapsed * self.channel_per_second
        )
        bucket.updated = now
        if bucket.tokens >= 1 - _EPSILON:
            return 0.0
        return (1 - bucket.tokens) / self.channel_per_second

    def floor_seconds(self, method: str, count: int, channels: int = 1) -> float:
        """The least wall time in which `count` calls of `method` can all be admitted.

        A sliding window of A calls per 60 s lets A calls through at once and the next A a
        minute later: n calls need ``60 * ((n - 1) // A)`` seconds (0 if the method is free).

        chat.postMessage dealt round-robin over `channels` channels: call k is the
        ``ceil(k / channels)``-th on its channel, so its bucket (depth B, r a second) lets it go
        at ``E(k) = max(0, ceil(k / channels) - B) / r`` at the soonest; the workspace window
        (A a minute) also holds it until 60 s after call k - A.  Unrolled, the last call goes at
        ``max(60 * i + E(n - i * A) for i in 0 .. (n - 1) // A)`` (only i = 0 without a
        workspace window).  One DM each to n people (E = 0) gives the window's figure:
        1,600 DMs at 240/min take at least 60 * (1599 // 240) = 360 s.
        """
        if count <= 0:
            return 0.0
        allowance = self.per_minute(method)
        if method != POST_MESSAGE:
            return 0.0 if allowance is None else WINDOW_SECONDS * ((count - 1) // allowance)
        if channels <= 0:
            raise ValueError("chat.postMessage needs at least one channel")

        def bucket_earliest(k: int) -> float:
            return max(0, math.ceil(k / channels) - self.channel_burst) / self.channel_per_second

        if allowance is None:
            return bucket_earliest(count)
        return max(
            WINDOW_SECONDS * i + bucket_earliest(count - i * allowance)
            for i in range((count - 1) // allowance + 1)
        )
