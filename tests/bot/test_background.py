"""Hand-offs: coalesced by key, dropped when too late to help, and never holding up a stop."""

from __future__ import annotations

import threading

from slack_sdk import WebClient

from bot.background import Background, interruptible_sleep
from bot.outbound import Caller
from bot.sandbox import FakeSlack


def _busy(background: Background) -> threading.Event:
    """Occupy the only thread until the returned event is set."""
    release = threading.Event()
    started = threading.Event()

    def hold() -> None:
        started.set()
        release.wait(10)

    background.submit(hold)
    assert started.wait(5)
    return release


def test_work_with_the_same_key_waiting_to_start_runs_once() -> None:
    background = Background(workers=1)
    release = _busy(background)
    runs: list[str] = []
    assert background.submit(runs.append, "first", key=("home", "UANA"))
    assert not background.submit(runs.append, "second", key=("home", "UANA"))
    assert background.submit(runs.append, "other", key=("home", "UBEN"))
    release.set()
    assert background.wait_idle(5)
    assert runs == ["first", "other"]
    # Once it has started, the same key may be asked for again (the data may have changed).
    assert background.submit(runs.append, "again", key=("home", "UANA"))
    assert background.wait_idle(5)
    assert runs[-1] == "again"
    background.shutdown()


def test_work_that_could_not_start_in_time_is_dropped() -> None:
    now = [0.0]
    background = Background(workers=1, clock=lambda: now[0])
    release = _busy(background)
    runs: list[str] = []
    background.submit(runs.append, "stale", expires_after=20)
    background.submit(runs.append, "patient", expires_after=60)
    now[0] = 30.0  # both waited 30 s behind the busy thread
    release.set()
    assert background.wait_idle(5)
    assert runs == ["patient"]
    background.shutdown()


def test_a_stop_ends_work_waiting_out_a_long_retry_after(slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", "ratelimited", times=None, retry_after=60)
    stopping = threading.Event()
    caller = Caller(
        WebClient(token="xoxb-t", base_url=slack.api_url, retry_handlers=[]),
        sleep=interruptible_sleep(stopping),
    )
    background = Background(workers=1)
    background.submit(caller.call, "chat.postMessage", channel="UANA", text="hello")
    assert not background.wait_idle(0.5)  # waiting out the first Retry-After
    assert slack.calls_to("chat.postMessage", outcome="ratelimited")
    stopping.set()
    assert background.wait_idle(5)  # gave up at once instead of in 60 s × 20
    background.shutdown()
