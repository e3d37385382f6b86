"""Sending to Slack's Web API politely and knowing what happened.

Every outbound call is classified: delivered, refused for now (retry later), refused for good,
ambiguous (it may have arrived), or the workspace is gone (stop). 429s are honoured with their
Retry-After, 5xx are retried with backoff, and a pacer keeps the send rate under Slack's limits.
"""

from __future__ import annotations

import enum
import http.client
import logging
import socket
import threading
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import observability

log = logging.getLogger(__name__)

# The app was removed or its token died: stop all work for the workspace.
STOP_ERRORS = frozenset(
    {
        "account_inactive",
        "token_revoked",
        "invalid_auth",
        "not_authed",
        "team_access_not_granted",
        "org_login_required",
        "ekm_access_denied",
        "token_expired",
    }
)
# Slack-side trouble that did not deliver anything: try again later.
RETRY_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class Outcome(enum.StrEnum):
    """What a call's result means for the ledger."""

    OK = "ok"
    RETRY = "retry"
    FAILED = "failed"
    AMBIGUOUS = "ambiguous"
    STOP = "stop"


@dataclass(frozen=True)
class CallResult:
    """The outcome of one call, with Slack's response when there was one."""

    outcome: Outcome
    data: dict[str, Any] | None = None
    error: str | None = None
    rate_limited: int = 0  # how many 429s were waited out along the way


class Pacer:
    """A token bucket that spaces calls out, and that a 429 pauses for its Retry-After.

    The rate adapts: it falls by a fifth on each 429 and creeps back up on success.
    """

    def __init__(
        self,
        rate_per_second: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        min_rate: float = 0.2,
    ) -> None:
        self.max_rate = rate_per_second
        self.rate = rate_per_second
        self.min_rate = min_rate
        self.capacity = max(1, burst)
        self._tokens = float(self.capacity)
        self._clock, self._sleep = clock, sleep
        self._last = clock()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until a call may go out."""
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
                self._last = now
                delay = max(0.0, self._paused_until - now)
                if delay == 0 and self._tokens >= 1:
                    self._tokens -= 1
                    return
                if delay == 0:
                    delay = (1 - self._tokens) / self.rate
            self._sleep(delay)

    def pause(self, seconds: float) -> None:
        """Slack said wait: nobody sends until then, and the rate backs off."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
            self._tokens = 0.0
            self.rate = max(self.min_rate, self.rate * 0.8)

    def held_for(self) -> float:
        """Seconds until Slack's last Retry-After for this method runs out (0 when none)."""
        with self._lock:
            return max(0.0, self._paused_until - self._clock())

    def succeeded(self) -> None:
        """A call went through: recover the rate slowly."""
        with self._lock:
            self.rate = min(self.max_rate, self.rate * 1.02)


class Caller:
    """Calls Web API methods through one pacer per method, with the retry policy above."""

    def __init__(
        self,
        client: WebClient,
        *,
        rates: dict[str, float] | None = None,
        max_rate_limit_waits: int = 20,
        server_error_retries: int = 3,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self._rates = {**DEFAULT_RATES, **(rates or {})}
        self._pacers: dict[str, Pacer] = {}
        self._pacers_lock = threading.Lock()
        self._max_waits = max_rate_limit_waits
        self._retries = server_error_retries
        self._backoff = backoff
        self._sleep, self._clock = sleep, clock
        self.ratelimited = 0

    def pacer(self, method: str) -> Pacer:
        """The pacer for one method (created on first use)."""
        with self._pacers_lock:
            if method not in self._pacers:
                rate = self._rates.get(method, self._rates["default"])
                self._pacers[method] = Pacer(
                    rate, burst=max(1, int(rate)), sleep=self._sleep, clock=self._clock
                )
            return self._pacers[method]

    def held_for(self, method: str) -> float:
        """Seconds Slack asked us to wait before calling `method` again (0 when it did not).

        Listeners read this before a call they cannot wait for (`views.open` on a 3-second
        trigger) and answer "slow down" at once instead of calling into a Retry-After.
        """
        return self.pacer(method).held_for()

    def slack_said_wait(self, method: str, seconds: float) -> None:
        """Record a Retry-After met outside this caller (a listener's own call)."""
        self.pacer(method).pause(seconds)

    def call(self, method: str, **params: Any) -> CallResult:
        """Call `method`, waiting out 429s and retrying 5xx, and classify what happened."""
        pacer = self.pacer(method)
        waits = server_errors = limited = 0
        while True:
            pacer.wait()
            try:
                # slack_sdk's own method (chat_postMessage, …) encodes each one as Slack expects.
                response = getattr(self.client, method.replace(".", "_"))(**params)
                observability.count_api_attempt(method, "ok")
                pacer.succeeded()
                return CallResult(Outcome.OK, data=dict(response.data), rate_limited=limited)
            except SlackApiError as exc:
                status = exc.response.status_code
                error = str(exc.response.get("error", "") or f"http_{status}")
                if status == 429 or error == "ratelimited":
                    observability.count_api_attempt(method, "ratelimited")
                    limited += 1
                    self.ratelimited += 1
                    waits += 1
                    pacer.pause(retry_after(exc.response.headers))
                    if waits > self._max_waits:
                        return CallResult(Outcome.RETRY, error="ratelimited", rate_limited=limited)
                    continue
                if status >= 500 or error in RETRY_ERRORS:
                    observability.count_api_attempt(method, "server_error")
                    server_errors += 1
                    if server_errors > self._retries:
                        return CallResult(Outcome.RETRY, error=error, rate_limited=limited)
                    self._sleep(self._backoff * 2 ** (server_errors - 1))
                    continue
                if error in STOP_ERRORS:
                    observability.count_api_attempt(method, "stop")
                    return CallResult(Outcome.STOP, error=error, rate_limited=limited)
                observability.count_api_attempt(method, "failed")
                return CallResult(Outcome.FAILED, error=error, rate_limited=limited)
            except Exception as exc:  # transport trouble: did the request reach Slack?
                if _never_sent(exc):
                    observability.count_api_attempt(method, "not_sent")
                    server_errors += 1
                    if server_errors > self._retries:
                        return CallResult(
                            Outcome.RETRY, error=type(exc).__name__, rate_limited=limited
                        )
                    self._sleep(self._backoff * 2 ** (server_errors - 1))
                    continue
                observability.count_api_attempt(method, "ambiguous")
                log.warning("%s may or may not have reached Slack: %r", method, exc)
                return CallResult(Outcome.AMBIGUOUS, error=type(exc).__name__, rate_limited=limited)


# Sustained rates we aim for, per method, under Slack's tiers (per minute: Tier 2 20, Tier 3 50,
# Tier 4 100). chat.postMessage has no published workspace-wide figure; 4/s matches what Slack
# lets through in practice for DMs to many different people.
DEFAULT_RATES: dict[str, float] = {
    "default": 50 / 60,
    "chat.postMessage": 4.0,
    "users.info": 100 / 60,
    "users.list": 20 / 60,
    "conversations.open": 50 / 60,
    "conversations.history": 50 / 60,
    "chat.update": 50 / 60,
}


def retry_after(headers: Any) -> float:
    """Seconds from a 429's Retry-After header (at least 1)."""
    value = None
    if headers is not None:
        value = headers.get("Retry-After") or headers.get("retry-after")
        if isinstance(value, list):
            value = value[0] if value else None
    try:
        return max(1.0, float(value)) if value is not None else 1.0
    except (TypeError, ValueError):
        return 1.0


def _never_sent(exc: Exception) -> bool:
    """True when the request certainly did not reach Slack (so sending again is safe)."""
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, ConnectionRefusedError | socket.gaierror):
        return True
    # A timeout or a dropped connection after the request went out is ambiguous.
    return not isinstance(
        reason,
        TimeoutError | socket.timeout | ConnectionResetError | http.client.HTTPException | OSError,
    )


def find_tagged(
    caller: Caller,
    channel: str,
    event_type: str,
    payload: dict[str, Any],
    *,
    pages: int = 3,
) -> dict[str, Any] | Outcome:
    """Our message in a channel tagged with this metadata (every key of `payload` must match).

    Returns the message, `Outcome.OK` when it is certainly not among the newest `pages` × 200,
    or the outcome that stopped us from looking. After an ambiguous send this says whether the
    message arrived, so nothing is sent twice. The app posts a few messages a week to a DM or an
    office-hours channel, so the newest few hundred reach back far enough.
    """
    cursor = None
    for _ in range(pages):
        page = caller.call(
            "conversations.history",
            channel=channel,
            limit=200,
            include_all_metadata=True,
            **({"cursor": cursor} if cursor else {}),
        )
        if page.outcome is not Outcome.OK:
            return page.outcome
        for message in (page.data or {}).get("messages", []):
            meta = message.get("metadata") or {}
            found = meta.get("event_payload") or {}
            if meta.get("event_type") == event_type and all(
                found.get(key) == value for key, value in payload.items()
            ):
                return message
        cursor = ((page.data or {}).get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return Outcome.OK


def find_in_dm(
    caller: Caller, user_id: str, event_type: str, payload: dict[str, Any]
) -> tuple[str, dict[str, Any]] | Outcome:
    """(the DM channel, our tagged message there), or what `find_tagged` says otherwise."""
    opened = caller.call("conversations.open", users=user_id)
    if opened.outcome is not Outcome.OK:
        return opened.outcome
    channel = (opened.data or {})["channel"]["id"]
    found = find_tagged(caller, channel, event_type, payload)
    return found if isinstance(found, Outcome) else (channel, found)


def upload_to_dm(caller: Caller, user_id: str, **file: Any) -> CallResult:
    """Open the person's DM and upload a file into it (`files_upload_v2` arguments).

    The result of the step that failed, or of the upload.
    """
    opened = caller.call("conversations.open", users=user_id)
    if opened.outcome is not Outcome.OK:
        return opened
    return caller.call("files_upload_v2", channel=opened.data["channel"]["id"], **file)
