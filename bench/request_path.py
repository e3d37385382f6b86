"""The request path under pressure: Slack answering 429 to everything, and a burst of answer clicks.

Each server runs in its own process (`bench._request_server`), served by the project's waitress
`HttpServer` with real waits; the app's `FakeSlack` runs in a third process
(`bench._slack_process`), as Slack is remote; the load generator runs in this process. Run from
the repository root: `python -m bench.request_path [--quick] [--out bench/RESULTS.md]`.
"""

from __future__ import annotations

import argparse
import queue
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from atlas.questions import CORE_IDS
from bench._report import ROOT, machine, postgres_database, write_section
from bench._request_server import (
    BARE_TEXT,
    RATE_LIMITED_METHODS,
    RETRY_AFTER_SECONDS,
    TEAM_ID,
    Ready,
    Served,
    Spec,
    served,
)
from bench._slack_process import KEY_PREFIX
from bench.ack_latency import percentile
from bot.context import BACKGROUND_THREADS
from bot.listeners.guard import ACK_BUDGET_SECONDS, BUSY_MESSAGE
from bot.listeners.pulse_actions import NOT_SAVED
from bot.sandbox import SignedSender, SlackReply
from bot.sandbox.people import click_payload, find_element
from bot.sandbox.running import SANDBOX_SIGNING_SECRET
from bot.settings import Settings

RATE_SECTION = "request_path_rate_limits"
CLICK_SECTION = "request_path_clicks"
SLACK_SECONDS = 3.0  # Slack's wait for an ack: a later reply is a failure
APP_HEADER = "2.2 · Only the AI lead uses the tools"
PAUSED = "Paused the pulse for"
PACKAGES = ("slack_bolt", "slack_sdk", "waitress", "SQLAlchemy")
WARMUP = 10
WARMUP_PEOPLE = 5  # the click burst's warm-up clicks come from people outside the burst

RATE_ABOUT = """\
## The request path while Slack answers 429 to everything

**What is measured.** Whether anything on the request path waits on Slack's rate limits. The
`FakeSlack` stand-in answers HTTP 429 with `Retry-After: {retry_after}` to every Web API method
it serves ({methods} methods: `views.open`, `views.update`, `views.publish`, `users.info`,
`usergroups.list`, `chat.postMessage`, `chat.update`, `conversations.*`, `files.*`, …) from
before the first request to the end. The app runs with real waits: a Retry-After honoured
anywhere would hold a thread for a minute.

- **Measured requests**: rounds of {cfg.concurrent} requests released at the same instant, half
  `/atlas 2.2` and half `/atlas pause` (alternating per person and round), from the
  {cfg.concurrent} people of one team (the first its owner); a round starts {cfg.gap:g} s after
  the one before has been answered. Latency counts from the instant a round was released to the
  whole HTTP reply (a fresh connection per request). *alone*: {cfg.calm_rounds} rounds before
  the storm; *storm*: {cfg.rounds} rounds during it.
- **Storm**: {cfg.setup_clients} client threads send `/atlas setup new` back to back, each as
  its own person outside the team, so {cfg.setup_clients} setup commands are always in flight,
  from {cfg.lead:g} s before the first storm round to the end of the last. The app acks each at
  once, then calls `views.open`, which Slack refuses.
- **Failures**: a reply that is not HTTP 200, not the right body (`2.2`: the header
  “{header}”; `pause`: “{paused} …”; setup: the empty ack; the bare Bolt: its text), a transport
  error, or later than {slack:g} s. Latencies are of the right replies, late ones included.
- **Targets**, each in its own process, one after another: `RunningApp` (waitress
  {http_threads} threads, Bolt listener pool {listener_threads}, hand-off pool {background}) on
  a migrated temporary SQLite file and on a throwaway PostgreSQL database, once with Slack
  answering 429 to everything and once answering normally (the *reference*); and a bare Bolt app
  that acks `/atlas` with a short text, the floor (it calls no Web API). The app's `FakeSlack`
  runs in a process of its own, as Slack is remote: it answers the app's Web API calls and
  response_url posts, and the server process holds the app alone.
- **Second table**: the storm's setup commands; *server CPU per request*: the server process's
  CPU time during the storm ÷ the requests it answered then: the app's own work only (the
  stand-in's CPU, on the same 2 cores, is in the reading, not in this column); *listener tasks,
  peak*: the most listener tasks in flight at once
  (running or queued, sampled every 5 ms), more than the pool's {listener_threads} threads
  meaning requests waited for a listener; *429s*: calls the stand-in refused; *told “slow
  down”*: setup commands whose person was told so in the ack itself (Slack's Retry-After for
  `views.open` already known, so no call is made) + by response_url (the call that met the
  429); *listeners all free after*:
  how long after the last storm request every listener thread was free; *hand-offs waiting*:
  work handed to the background threads (the setup modal's fill-in, when the modal opened)
  still waiting on Slack then. The process is ended without draining them.

**Machine.** nproc {nproc}, Python {python}, {versions}; load average at the end {load}; {date};
mode: {mode}; this benchmark took {took:.0f} s. The machine is shared with other work, and the
load generator and the stand-in share its cores with the server: the numbers are noisy, so read
the medians and the ratios rather than single values.

**Reproduce.** `make bench` (runs `python -m bench.request_path`), or from the repository root:
`.venv/bin/python -m bench.request_path [--quick] [--out bench/RESULTS.md] [--postgres-url URL]`.

{table}

{notes}"""

CLICK_ABOUT = """\
## A burst of pulse answer clicks

**What is measured.** {clicks:,} pulse answer clicks at {cfg.rate:g} a second for
{cfg.seconds:g} s, open loop: each click is due at a fixed time and handed to one of
{cfg.pool} sender threads (enough for every click of a {slack:g}-second window to be in flight at
once, so the client holds clicks back only when the server is that far behind: *worst send lag*);
its latency counts from that *intended* time to the whole HTTP reply (so queueing in the client is
included), a fresh connection per request.

- **Set-up, through the app's own services**: one team of {people} people, a round started now
  (the served app reads the real clock) and its DMs sent through the `FakeSlack`, which runs in a
  process of its own, as Slack is remote. Each click is a signed `block_actions` payload built
  from the DM its person got, read back from the stand-in (`bot.sandbox.people.find_element` and
  `click_payload`): {people} people × the {questions} core
  questions ({question_ids}), each (person, question) clicked once, in a shuffled order (seed
  {cfg.seed}). {warmup} warm-up clicks from {warmup_people} other people go first.
- **What a click costs the app**: the answer is saved *before* the ack, in one transaction
  under the request's {budget:g} s budget, counted from the request's arrival in waitress (the
  delivery row locked, the answer upserted); after the ack the updated pulse view is built and
  the DM replaced through the response_url. Nothing is prepared for the benchmark that a real
  click would not find: the write before the ack, the bottleneck, is in every number.
- **Counted**: *acknowledged*: clicks answered HTTP 200. *stored*: distinct (person, question)
  of the burst in the database once the app has finished (each pair is clicked once, so
  *acknowledged* is also the distinct pairs acknowledged). *told not saved*: clicks whose person
  got “{not_saved}” by that click's own response_url (the save missed the budget and rolled
  back). *lost*: acknowledged, not stored, and not told. *late*: acknowledged later than
  {slack:g} s, split into *late, stored* (Slack showed an error for an answer that was saved:
  the case that must not happen) and *late, told not saved* (the save refused and the person
  told so, but the ack itself late). *failures*: not 200, a wrong body (the ack is empty), a
  transport error, or late; latencies are of the right replies, late ones included. *server
  CPU per click*: the server process's CPU time from the start of the burst until its
  listeners were idle ÷ clicks: the app's own work only (the stand-in, which takes the
  response_url posts, runs in its own process; its CPU is in the reading). *listener tasks,
  peak*: the most listener tasks in flight at once (running or queued, sampled every 5 ms;
  the pool has {listener_threads} threads).
- **Targets**, each in its own process, one after another: `RunningApp` (waitress
  {http_threads} threads, Bolt listener pool {listener_threads}, real waits) against its
  `FakeSlack` (in a third process) on a migrated temporary SQLite file and on a throwaway
  PostgreSQL database; and the
  **floor**, a bare Bolt app (`slack_bolt.App` behind its WSGI adapter, same server, same
  threads) whose action listener only acks, sent the same payloads. Both use Bolt's default
  `process_before_response=False`, which polls for the ack every 10 ms: about 10 ms is the floor
  of every ack.

**Machine.** nproc {nproc}, Python {python}, {versions}; load average at the end {load}; {date};
mode: {mode}; this benchmark took {took:.0f} s. The machine is shared with other work, and the
load generator and the stand-in share its cores with the server: the numbers are noisy, so read
the medians and the ratios to bare Bolt rather than single values.

**Reproduce.** `make bench` (runs `python -m bench.request_path`), or from the repository root:
`.venv/bin/python -m bench.request_path [--quick] [--out bench/RESULTS.md] [--postgres-url URL]`.

{table}

{notes}"""


@dataclass(frozen=True)
class StormConfig:
    """The 429 benchmark's load."""

    setup_clients: int  # threads sending `/atlas setup new` back to back
    concurrent: int  # requests per measured round, one per team member
    calm_rounds: int  # measured before the storm starts
    rounds: int  # measured during the storm
    lead: float  # seconds of storm before the first of those
    gap: float  # seconds between rounds


@dataclass(frozen=True)
class ClickConfig:
    """The click burst's load."""

    rate: float
    seconds: float
    pool: int
    seed: int


@dataclass(frozen=True)
class Result:
    """One request: seconds from its intended send time, and what was wrong (None: right)."""

    latency: float
    error: str | None
    acked: bool = False  # answered HTTP 200, whatever the body or the delay
    right: bool = False  # HTTP 200 and the right body, whatever the delay
    said: str = ""  # the ack's text, if it had one


# --- sending ------------------------------------------------------------------------------------
def _sender(ready: Ready, key: int | None = None) -> SignedSender:
    """A sender to the target; with `key`, its response_urls are that click's own."""
    base = (ready.slack_url or "http://127.0.0.1:9") + "/response"
    if key is not None:
        base += f"/{KEY_PREFIX}{key}"
    return SignedSender(ready.url, SANDBOX_SIGNING_SECRET, team_id=TEAM_ID, response_url_base=base)


def _timed(
    send: Callable[[], SlackReply], check: Callable[[SlackReply], bool], t0: float
) -> Result:
    """Send, then judge the reply; latency from `t0`, the intended send time."""
    try:
        reply = send()
    except OSError as exc:
        return Result(time.perf_counter() - t0, f"{type(exc).__name__}: {exc}")
    latency = time.perf_counter() - t0
    if reply.status != 200:
        return Result(latency, f"HTTP {reply.status}: {reply.text[:160]}")
    try:
        right = check(reply)
    except (ValueError, AttributeError, TypeError):
        right = False
    if not right:
        return Result(latency, f"unexpected body: {reply.text[:160]}", acked=True)
    said = _said(reply)
    if latency > SLACK_SECONDS:
        return Result(latency, f"late: {latency:.2f} s", acked=True, right=True, said=said)
    return Result(latency, None, acked=True, right=True, said=said)


def _is_card(reply: SlackReply) -> bool:
    return any(
        block.get("type") == "header" and block.get("text", {}).get("text") == APP_HEADER
        for block in (reply.json or {}).get("blocks") or []
    )


def _said(reply: SlackReply) -> str:
    try:
        return str((reply.json or {}).get("text", ""))
    except ValueError:
        return ""


def _checks(bare: bool) -> dict[str, Callable[[SlackReply], bool]]:
    """How to recognise the right reply to each command."""
    if bare:
        said = lambda reply: (reply.json or {}).get("text") == BARE_TEXT  # noqa: E731
        return {"2.2": said, "pause": said, "setup new": said}
    return {
        "2.2": _is_card,
        "pause": lambda reply: str((reply.json or {}).get("text", "")).startswith(PAUSED),
        # An empty ack (the modal opens, or Slack's refusal is told by response_url), or, once
        # Slack's Retry-After for views.open is known, "slow down" in the ack itself.
        "setup new": lambda reply: reply.body == b"" or _said(reply) == BUSY_MESSAGE,
    }


# --- 1. Slack rate-limiting everything ---------------------------------------------------------
@dataclass(frozen=True)
class StormRow:
    """What one target did under the storm."""

    target: str
    slack: str
    calm: list[Result]  # 2.2 + pause rounds before the storm
    stormy: list[Result]  # the same rounds during it
    setups: list[Result]
    cpu: float  # the server process's CPU seconds during the storm
    report: dict[str, Any]  # what the server and its stand-in hold once the storm has stopped
    listeners_free: float | None  # seconds until every listener was free; None: not in 10 s
    bare: bool = False
    slack_cpu: float | None = None  # the stand-in's CPU seconds during the storm

    def served(self) -> int:
        """The requests the server answered during the storm."""
        return len(self.setups) + len(self.stormy)


def storm(
    server: Served, cfg: StormConfig, members: tuple[str, ...], setup_users: tuple[str, ...]
) -> StormRow:
    """Calm rounds, then the setup storm with the same rounds in it; then what the app holds."""
    ready = server.ready()
    checks = _checks(server.spec.kind == "bare")
    warm = _sender(ready)
    for _ in range(WARMUP):
        send = lambda: warm.command("2.2", user_id=members[1])  # noqa: E731
        result = _timed(send, checks["2.2"], time.perf_counter())
        if result.error:
            raise RuntimeError(f"{server.spec.label}: warm-up failed: {result.error}")
    calm = rounds(ready, checks, members, cfg.calm_rounds, cfg.gap)
    stop = threading.Event()
    setups: list[Result] = []
    lock = threading.Lock()

    def setup_client(user: str) -> None:
        sender, mine = _sender(ready), []
        while not stop.is_set():
            began = time.perf_counter()
            send = lambda: sender.command("setup new", user_id=user)  # noqa: E731
            mine.append(_timed(send, checks["setup new"], began))
        with lock:
            setups.extend(mine)

    before = server.report()
    clients = [threading.Thread(target=setup_client, args=(u,), daemon=True) for u in setup_users]
    for thread in clients:
        thread.start()
    time.sleep(cfg.lead)
    stormy = rounds(ready, checks, members, cfg.rounds, cfg.gap)
    stop.set()
    for thread in clients:
        thread.join()
    began = time.perf_counter()
    free = server.ask("idle", 10.0)
    listeners_free = time.perf_counter() - began if free else None
    report = server.report()
    slack = "429 to every call" if server.spec.ratelimit_everything else "answers normally"
    if server.spec.kind == "bare":
        slack = "(no Web API calls)"
    return StormRow(
        server.spec.label,
        slack,
        calm,
        stormy,
        setups,
        report["cpu"] - before["cpu"],
        report,
        listeners_free,
        bare=server.spec.kind == "bare",
        slack_cpu=_slack_cpu(before, report),
    )


def _slack_cpu(before: dict[str, Any], after: dict[str, Any]) -> float | None:
    """The stand-in's CPU seconds between two reports (None: no stand-in)."""
    if "slack_cpu" not in after:
        return None
    return after["slack_cpu"] - before["slack_cpu"]


def rounds(
    ready: Ready,
    checks: dict[str, Callable[[SlackReply], bool]],
    members: tuple[str, ...],
    count: int,
    gap: float,
) -> list[Result]:
    """`count` rounds, each of one request per member released at the same instant."""
    results: list[Result] = []
    for number in range(count):
        results.extend(fire_round(ready, checks, members, number))
        time.sleep(gap)
    return results


def fire_round(
    ready: Ready, checks: dict[str, Callable[[SlackReply], bool]], members: tuple[str, ...], n: int
) -> list[Result]:
    """One request per member, all released at the same instant; latency from that instant.

    Half `/atlas 2.2`, half `/atlas pause`, alternating per person and round.
    """
    senders = [_sender(ready) for _ in members]
    waiting = threading.Barrier(len(members) + 1)
    go = threading.Event()
    fired: list[float] = []
    results: list[Result | None] = [None] * len(members)

    def one(i: int) -> None:
        text = "2.2" if (i + n) % 2 == 0 else "pause"
        waiting.wait()
        go.wait()
        send = lambda: senders[i].command(text, user_id=members[i])  # noqa: E731
        results[i] = _timed(send, checks[text], fired[0])

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(len(members))]
    for thread in threads:
        thread.start()
    waiting.wait()
    fired.append(time.perf_counter())
    go.set()
    for thread in threads:
        thread.join()
    return [r for r in results if r is not None]


def storm_tables(rows: list[StormRow]) -> str:
    """Two tables: the measured commands' latency, and the storm with what it left behind."""
    reference = {row.target: row for row in rows if row.slack == "answers normally"}
    latency = [
        "| target | Slack | 2.2 + pause sent | failures | alone: median ms | alone: p99 ms "
        "| storm: median ms | storm: p90 ms | storm: p99 ms | storm: max ms "
        "| storm p99 ÷ reference |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    held = [
        "| target | Slack | setup sent | setup failures | setup median ms "
        "| server CPU ms per request | listener tasks, peak | 429s | told “slow down” "
        "| listeners all free after | hand-offs waiting |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        calm, stormy = _ms(row.calm), _ms(row.stormy)
        failures = sum(1 for r in row.calm + row.stormy if r.error)
        ratio = "—"
        base = reference.get(row.target)
        if base is not None and base is not row and stormy and _ms(base.stormy):
            ratio = f"{percentile(stormy, 99) / percentile(_ms(base.stormy), 99):.2f}×"
        latency.append(
            f"| {row.target} | {row.slack} | {len(row.calm) + len(row.stormy)} "
            f"| {_bold(failures)} | {percentile(calm, 50):.1f} | {percentile(calm, 99):.1f} "
            f"| {percentile(stormy, 50):.1f} | {percentile(stormy, 90):.1f} "
            f"| {percentile(stormy, 99):.1f} | {max(stormy, default=0):.1f} | {ratio} |"
        )
        report = row.report
        limited = told = free = waiting = peak = "—"  # the bare Bolt: no Web API, no hand-offs
        if not row.bare:
            peak = str(report["listeners_peak"])
            limited, waiting = f"{report['ratelimited']:,}", f"{report['handoffs_waiting']:,}"
            by_url = sum(n for text, n in report["responses"].items() if text == BUSY_MESSAGE)
            in_ack = sum(1 for r in row.setups if r.right and r.said == BUSY_MESSAGE)
            told = f"{in_ack:,} + {by_url:,}"
            if row.listeners_free is not None:
                free = f"{row.listeners_free * 1e3:.0f} ms"
            else:
                free = "**not in 10 s**"
        held.append(
            f"| {row.target} | {row.slack} | {len(row.setups):,} "
            f"| {_bold(sum(1 for r in row.setups if r.error))} "
            f"| {percentile(_ms(row.setups), 50):.1f} | {1e3 * row.cpu / row.served():.1f} "
            f"| {peak} "
            f"| {limited} | {told} | {free} | {waiting} |"
        )
    return "\n".join(latency) + "\n\n" + "\n".join(held)


def _ms(results: list[Result]) -> list[float]:
    """The latencies (ms) of the right replies, late ones included, sorted."""
    return sorted(r.latency * 1e3 for r in results if r.right)


# --- 2. A burst of answer clicks ---------------------------------------------------------------
Click = tuple[str, str, str, dict[str, Any], dict[str, Any]]  # user, question, channel, action, msg


def clicks_from(ready: Ready, people: list[str], seed: int) -> list[Click]:
    """One click per (person, core question), built from the DM each person got, shuffled."""
    clicks = []
    for n, user in enumerate(people):
        channel, message = ready.dms[user]
        for question in CORE_IDS:
            block, element = find_element(message["blocks"], question)
            action = click_payload(block, element, _choice(block, element, people[n - 1], n))
            clicks.append((user, question, channel, action, message))
    random.Random(seed).shuffle(clicks)
    return clicks


def _choice(block: dict[str, Any], element: dict[str, Any], colleague: str, n: int) -> str:
    """A value to click: one of the buttons, one option of a multi-select, or a colleague."""
    if element["type"] == "users_select":
        return colleague
    if element["type"] == "button":
        buttons = block["elements"]
        return buttons[n % len(buttons)]["value"]
    options = element["options"]
    return options[n % len(options)]["value"]


def _click(sender: SignedSender, click: Click, t0: float) -> Result:
    user, _, channel, action, message = click

    def send() -> SlackReply:
        return sender.block_action(action, user_id=user, message=message, channel_id=channel)

    return _timed(send, lambda reply: reply.body == b"", t0)


def open_loop(ready: Ready, clicks: list[Click], cfg: ClickConfig) -> tuple[list[Result], float]:
    """Clicks due at a fixed rate, handed to a pool of senders; (results in order, worst lag)."""
    due: queue.SimpleQueue[tuple[int, float] | None] = queue.SimpleQueue()
    results: list[Result | None] = [None] * len(clicks)
    lags: list[float] = []

    def worker() -> None:
        while (item := due.get()) is not None:
            index, intended = item
            lags.append(time.perf_counter() - intended)
            # Each click its own response_url, so that what its person was told is known.
            results[index] = _click(_sender(ready, key=index), clicks[index], intended)

    workers = [threading.Thread(target=worker, daemon=True) for _ in range(cfg.pool)]
    for thread in workers:
        thread.start()
    began = time.perf_counter() + 0.05
    for index in range(len(clicks)):
        intended = began + index / cfg.rate
        delay = intended - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        due.put((index, intended))
    for _ in workers:
        due.put(None)
    for thread in workers:
        thread.join()
    return [r for r in results if r is not None], max(lags, default=0.0)


@dataclass(frozen=True)
class ClickRow:
    """What one target did with the burst."""

    target: str
    clicks: list[Click]
    results: list[Result]  # in the order of `clicks`
    cpu: float  # the server process's CPU seconds from the burst's start until it was idle
    lag: float  # worst delay between a click's intended and actual send
    logged: dict[str, int]  # what the server logged at WARNING and above
    peak: int | None  # the most listener tasks in flight at once (None: not known)
    stored: set[tuple[str, str]] | None = None  # None: the bare Bolt stores nothing
    told: frozenset[tuple[str, str]] = frozenset()  # clicks whose person was told "not saved"
    slack_cpu: float | None = None  # the stand-in's CPU seconds over the same window

    def acknowledged(self) -> set[tuple[str, str]]:
        """The (person, question) pairs whose click was answered HTTP 200."""
        return {(c[0], c[1]) for c, r in zip(self.clicks, self.results, strict=True) if r.acked}

    def lost(self) -> int:
        """Acknowledged, not stored, and not told (a click that missed its budget is
        acknowledged, rolled back, and its person told)."""
        assert self.stored is not None
        return len(self.acknowledged() - self.stored - self.told)

    def late_pairs(self) -> set[tuple[str, str]]:
        """The clicks whose right reply came later than Slack waits."""
        return {
            (c[0], c[1])
            for c, r in zip(self.clicks, self.results, strict=True)
            if r.right and r.error
        }

    def late(self) -> int:
        """Right replies later than Slack waits."""
        return len(self.late_pairs())

    def late_stored(self) -> int:
        """Late replies whose answer is stored: Slack showed an error for a saved answer."""
        assert self.stored is not None
        return len(self.late_pairs() & self.stored)

    def late_told(self) -> int:
        """Late replies whose person was told the answer was not saved."""
        return len(self.late_pairs() & self.told)

    def told_and_stored(self) -> int:
        """Told “not saved”, yet stored: a message that would be wrong."""
        assert self.stored is not None
        return len(self.told & self.stored)


def burst(server: Served, clicks: list[Click], warmup: list[Click], cfg: ClickConfig) -> ClickRow:
    """Warm up, send the burst, let the app finish its work, and read what was stored."""
    ready = server.ready()
    sender = _sender(ready)
    for click in warmup:
        result = _click(sender, click, time.perf_counter())
        if result.error:
            raise RuntimeError(f"{server.spec.label}: warm-up click failed: {result.error}")
    if not server.ask("idle", 30.0):
        raise RuntimeError(f"{server.spec.label}: listeners still busy after the warm-up")
    before = server.report()
    results, lag = open_loop(ready, clicks, cfg)
    if not server.ask("idle", 120.0, timeout=130.0):
        raise RuntimeError(f"{server.spec.label}: listeners still busy 120 s after the burst")
    report = server.report()
    row = ClickRow(
        server.spec.label,
        clicks,
        results,
        report["cpu"] - before["cpu"],
        lag,
        report["logged"],
        report.get("listeners_peak"),
        slack_cpu=_slack_cpu(before, report),
    )
    if server.spec.kind == "bare":
        return row
    told = frozenset((clicks[n][0], clicks[n][1]) for n in server.told(NOT_SAVED))
    return replace(row, stored=set(server.ask("stored")), told=told)


def click_table(rows: list[ClickRow]) -> str:
    """The click table, with ratios to bare Bolt."""
    lines = [
        "| target | clicks | acknowledged | stored | lost | told not saved | not 200 "
        "| late > 3 s | late, stored | late, told not saved | failures | median ms | p90 ms "
        "| p99 ms | max ms | median ÷ bare | p99 ÷ bare | server CPU ms per click "
        "| listener tasks, peak | worst send lag ms |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    bare = next((row for row in rows if row.stored is None), None)
    base = _ms(bare.results) if bare else []
    for row in rows:
        ok = _ms(row.results)
        acked = row.acknowledged()
        stored = lost = told = late_stored = late_told = "—"
        if row.stored is not None:
            stored = f"{len(row.stored & {(c[0], c[1]) for c in row.clicks}):,}"
            lost, told = _bold(row.lost()), _bold(len(row.told))
            late_stored, late_told = _bold(row.late_stored()), f"{row.late_told():,}"
        ratios = ["—", "—"]
        if row is not bare and base and ok:
            ratios = [
                f"{percentile(ok, 50) / percentile(base, 50):.2f}×",
                f"{percentile(ok, 99) / percentile(base, 99):.2f}×",
            ]
        late = row.late()
        lines.append(
            f"| {row.target} | {len(row.clicks):,} | {len(acked):,} | {stored} | {lost} | {told} "
            f"| {_bold(sum(1 for r in row.results if not r.acked))} | {_bold(late)} "
            f"| {late_stored} | {late_told} "
            f"| {_bold(sum(1 for r in row.results if r.error))} | {percentile(ok, 50):.1f} "
            f"| {percentile(ok, 90):.1f} | {percentile(ok, 99):.1f} | {max(ok, default=0):.1f} "
            f"| {ratios[0]} | {ratios[1]} | {1e3 * row.cpu / len(row.clicks):.1f} "
            f"| {row.peak if row.peak is not None else '—'} | {row.lag * 1e3:.1f} |"
        )
    return "\n".join(lines)


# --- readings -----------------------------------------------------------------------------------
TARGET_P99_MS = 300.0


def storm_reading(rows: list[StormRow]) -> str:
    """What the 429 table says, from its own numbers."""
    bare = next(row for row in rows if row.bare)
    lines = []
    for limited in (row for row in rows if row.slack == "429 to every call"):
        reference = next(r for r in rows if r.target == limited.target and r is not limited)
        p99, ref99 = percentile(_ms(limited.stormy), 99), percentile(_ms(reference.stormy), 99)
        failures = sum(1 for r in limited.calm + limited.stormy + limited.setups if r.error)
        free = limited.listeners_free
        verdict = "meets" if p99 <= TARGET_P99_MS and not failures else "**misses**"
        lines.append(
            f"{limited.target}: with every call refused, `2.2`/`pause` under the storm had p99 "
            f"{p99:.0f} ms against {ref99:.0f} ms with Slack answering ({p99 / ref99:.2f}×), "
            f"{failures} failures in all; every listener was free "
            + (
                f"{1e3 * free:.0f} ms after the storm"
                if free is not None
                else "**not within 10 s**"
            )
            + f" while {limited.report['handoffs_waiting']} hand-offs waited on Slack. It "
            f"{verdict} the target (p99 ≤ {TARGET_P99_MS:.0f} ms, no failures)."
        )
    app = [row for row in rows if row is not bare]
    cpu = [1e3 * row.cpu / row.served() for row in app]
    slack_cpu = [1e3 * (row.slack_cpu or 0.0) / row.served() for row in app]
    bare_cpu = 1e3 * bare.cpu / bare.served()
    lines.append(
        f"During the storm the app's server process spent {min(cpu):.1f}–{max(cpu):.1f} ms of "
        f"CPU per request (bare Bolt: {bare_cpu:.1f} ms); the stand-in, answering its Web API "
        f"calls and response_url posts in its own process, {min(slack_cpu):.1f}–"
        f"{max(slack_cpu):.1f} ms more, which is Slack's work and not counted in the column."
    )
    misses = any(percentile(_ms(row.stormy), 99) > TARGET_P99_MS for row in app)
    text = "**Reading.** " + " ".join(lines)
    if not misses:
        return text
    ratios = [
        percentile(_ms(row.stormy), 99) / percentile(_ms(ref.stormy), 99)
        for row in app
        for ref in app
        if ref.target == row.target and ref is not row and ref.slack == "answers normally"
    ]
    references = [row for row in app if row.slack == "answers normally"]
    missing = [row for row in references if percentile(_ms(row.stormy), 99) > TARGET_P99_MS]
    if missing and len(missing) == len(references):
        why = "; the references miss the target too, so what misses it is not the 429s but CPU:"
    elif missing:
        names = " and ".join(row.target for row in missing)
        why = (
            f"; {names} misses it with Slack answering too, so what misses it there is not the "
            "429s but CPU:"
        )
    else:
        why = ". And CPU:"
    text += (
        f" With 429s the p99 is {min(ratios):.2f}–{max(ratios):.2f}× the reference's (once "
        "Slack's Retry-After for `views.open` is known, a setup command is answered “slow "
        "down” in its ack without calling Slack, so the storm costs less than one Slack "
        "answers)" + why
    )
    peak = max(row.report.get("listeners_peak", 0) for row in app)
    threads = Settings(_env_file=None).listener_threads
    text += (
        " the same rounds with no storm already reach p99 up to "
        f"{max(percentile(_ms(row.calm), 99) for row in app):.0f} ms (bare Bolt: "
        f"{percentile(_ms(bare.calm), 99):.0f} ms), and the app's {min(cpu):.1f}–"
        f"{max(cpu):.1f} ms of CPU per request run in one process whose Python code runs one "
        "thread at a time (one interpreter lock), on 2 cores shared with the stand-in, the load "
        "generator, PostgreSQL and other work. Each setup command also keeps its listener after "
        "the ack, waiting on `views.open` and, when refused, on the response_url post: the "
        f"listener pool peaked at {peak} tasks for its {threads} threads, so `2.2`/`pause` "
        "listeners queued behind them."
    )
    return text


def click_reading(rows: list[ClickRow], cfg: ClickConfig) -> str:
    """What the click table says, from its own numbers."""
    bare = next((row for row in rows if row.stored is None), None)
    app = [row for row in rows if row.stored is not None]
    parts = []
    for row in app:
        assert row.stored is not None
        ok, cpu = _ms(row.results), 1e3 * row.cpu / len(row.clicks)
        slack = 1e3 * (row.slack_cpu or 0.0) / len(row.clicks)
        late = f"none acknowledged later than {SLACK_SECONDS:g} s"
        if row.late():
            late = (
                f"{row.late():,} acknowledged later than {SLACK_SECONDS:g} s, "
                f"{_bold(row.late_stored())} of them stored and {row.late_told():,} told "
                "“not saved”"
            )
        parts.append(
            f"{row.target}: {len(row.acknowledged()):,} acknowledged, "
            f"{len(row.stored & row.acknowledged()):,} of them stored, {_bold(row.lost())} lost, "
            f"{len(row.told):,} told “not saved”; {late}; median {percentile(ok, 50):.0f} ms, p99 "
            f"{percentile(ok, 99):.0f} ms; {cpu:.1f} ms of server CPU per click, "
            f"{cpu * cfg.rate / 10:.0f}% of one core at {cfg.rate:g} clicks/s (the stand-in "
            f"spent {slack:.1f} ms more per click in its own process)."
        )
    if bare is not None:
        ok = _ms(bare.results)
        parts.append(
            f"The floor, bare Bolt acking the same payloads on the same machine: median "
            f"{percentile(ok, 50):.0f} ms, p99 {percentile(ok, 99):.0f} ms, "
            f"{1e3 * bare.cpu / len(bare.clicks):.1f} ms of CPU per click."
        )
    parts.append(
        "The difference is the save before the ack: one ORM transaction per click that locks "
        "the delivery, checks the round and upserts the answer; after the ack a second builds "
        "the updated pulse view, and the DM is replaced through the response_url. A server "
        "process runs its Python code one thread at a time (one interpreter lock), so once CPU "
        "per click × rate nears a core the clicks queue (in waitress and in the listener pool) "
        "and the wait grows for as long as the burst lasts, up to the budget; on PostgreSQL each "
        "statement, the pool's pre-ping and the commit is a round trip, and its backends' CPU "
        "comes out of the same 2 cores."
    )
    for row in (row for row in app if row.told):
        share = len(row.told) / len(row.clicks)
        median = percentile(_ms(row.results), 50)
        text = (
            f"On {row.target} {len(row.told):,} clicks ({share:.1%}) missed their "
            f"{ACK_BUDGET_SECONDS:g} s budget, counted from their arrival in waitress (so the "
            "time queued for a thread is in it), and were refused and their person told “not "
            "saved”"
            + (
                f" ({row.late_told():,} of them acknowledged late all the same)"
                if row.late_told()
                else ", none acknowledged late"
            )
        )
        if median >= 0.8e3 * ACK_BUDGET_SECONDS:
            text += (
                f": the queue sat at the budget for most of the burst (median {median:.0f} ms), "
                f"the server needing {1e3 * row.cpu / len(row.clicks) * cfg.rate / 10:.0f}% of "
                "one core. "
                + (
                    "Slack got every ack in time, but these people must click again: at "
                    f"{cfg.rate:g} clicks/s on this machine the app keeps its promise to answer "
                    "in time by refusing work, not by doing it."
                    if not row.late()
                    else f"These people must click again, and at {cfg.rate:g} clicks/s on this "
                    "machine even refusing work does not keep every ack in time."
                )
            )
        else:
            text += "."
        parts.append(text)
    late_stored = [row for row in app if row.late_stored()]
    if late_stored:
        counts = ", ".join(f"{row.late_stored():,} ({row.target})" for row in late_stored)
        parts.append(
            f"Late acknowledgements of stored answers: {counts}. The budget counts from the "
            "request's arrival in waitress, so what made these late lies outside it: the "
            "client's own send lag, the wait before waitress read the request, or the time "
            "between the commit and the reply reaching the client (Bolt's ack poll, a busy "
            "interpreter lock). Slack would have shown those people an error for an answer "
            "that was saved (clicking again is harmless: answers are upserts)."
        )
    elif any(row.late() for row in app):
        parts.append(
            "None of the late acknowledgements was of a stored answer: each click that had "
            f"waited past its {ACK_BUDGET_SECONDS:g} s budget, counted from its arrival in "
            "waitress, was refused rather than saved, and its person told “not saved” (Slack "
            "shows the late ack as an error; the message says to click again)."
        )
    wrong = [row for row in app if row.told_and_stored()]
    if wrong:
        counts = ", ".join(f"{row.told_and_stored():,} ({row.target})" for row in wrong)
        parts.append(f"**Told “not saved” yet stored**: {counts}.")
    return "**Reading.** " + " ".join(parts)


# --- main ---------------------------------------------------------------------------------------
Database = tuple[str, Callable[[str], str]]  # a label, and a fresh database's URL for each run
RUNS = ("429", "ok", "clicks")  # the runs that need a database of their own


def listen_overflows() -> int | None:
    """The kernel's count of connections dropped by full listen queues, machine-wide (Linux)."""
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return None
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:") and "ListenOverflows" in names.split():
            return int(values.split()[names.split().index("ListenOverflows")])
    return None


def _overflow_note(dropped: dict[str, int]) -> str | None:
    """One note on connections dropped by full listen queues during the runs, if any."""
    counts = ", ".join(f"{label}: {n}" for label, n in dropped.items() if n)
    if not counts:
        return None
    return (
        f"Connections dropped by a full listen queue (the kernel's count, machine-wide) during "
        f"each run: {counts}. The app's waitress and the stand-in both listen with a backlog of "
        "1024, so other work on the machine may be in the count; a dropped connection waits for "
        "a SYN retransmit (1 s)."
    )


def _since(before: int | None) -> int:
    after = listen_overflows()
    return 0 if before is None or after is None else after - before


def _bold(count: int) -> str:
    return f"**{count:,}**" if count else "0"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _first_error(results: list[Result]) -> str:
    first = next((r.error for r in results if r.error), None)
    return f" (first: {first})" if first else ""


def _logged(label: str, logged: dict[str, int]) -> str | None:
    """A note on what the app logged at WARNING and above, if anything."""
    if not logged:
        return None
    parts = "; ".join(f"`{text}` × {n:,}" for text, n in sorted(logged.items()))
    return f"{label} logged {parts}."


def run_storm(
    databases: list[Database], cfg: StormConfig, mode: str, notes: list[str]
) -> tuple[str, str]:
    """Benchmark 1: (its tables, its section)."""
    began = time.monotonic()
    members = tuple(f"UM{n:03d}" for n in range(cfg.concurrent))
    setup_users = tuple(f"US{n:03d}" for n in range(cfg.setup_clients))
    specs = [Spec("bare Bolt", "bare")]
    for label, url in databases:
        for limited in (True, False):
            run = "429" if limited else "ok"
            specs.append(
                Spec(label, "app", url(run), members, setup_users, ratelimit_everything=limited)
            )
    rows: list[StormRow] = []
    dropped: dict[str, int] = {}
    with served(specs) as servers:
        for server in servers:
            overflows = listen_overflows()
            row = storm(server, cfg, members, setup_users)
            server.stop()
            rows.append(row)
            stormy = _ms(row.stormy)
            _log(
                f"{row.target}, {row.slack}: {len(stormy)} right in the storm, median "
                f"{percentile(stormy, 50):.1f} ms, p99 {percentile(stormy, 99):.1f} ms"
                f"{_first_error(row.calm + row.stormy)}; {len(row.setups)} setups"
                f"{_first_error(row.setups)}"
            )
            label = f"{row.target} ({row.slack})"
            dropped[label] = _since(overflows)
            note = _logged(label, row.report["logged"])
            if note:
                notes.append(note)
    tables = storm_tables(rows)
    notes.insert(0, storm_reading(rows))
    overflow = _overflow_note(dropped)
    if overflow:
        notes.append(overflow)
    return tables, _section(RATE_ABOUT, tables, cfg, mode, began, notes)


def run_clicks(
    databases: list[Database], cfg: ClickConfig, mode: str, notes: list[str]
) -> tuple[str, str]:
    """Benchmark 2: (its table, its section)."""
    began = time.monotonic()
    count = round(cfg.rate * cfg.seconds)
    people = [f"UC{n:04d}" for n in range(-(-count // len(CORE_IDS)))]
    warm_people = [f"UW{n:04d}" for n in range(WARMUP_PEOPLE)]
    team = (*people, *warm_people)
    specs = [Spec(label, "app", url("clicks"), team, open_round=True) for label, url in databases]
    specs.append(Spec("bare Bolt", "bare"))
    rows: list[ClickRow] = []
    dropped: dict[str, int] = {}
    with served(specs) as servers:
        first = servers[0].ready()  # the bare Bolt acks any pulse click: it gets these payloads
        for server in servers:
            ready = first if server.spec.kind == "bare" else server.ready()
            overflows = listen_overflows()
            row = burst(
                server,
                clicks_from(ready, people, cfg.seed)[:count],
                clicks_from(ready, warm_people, cfg.seed),
                cfg,
            )
            server.stop()
            rows.append(row)
            _log(
                f"{row.target}: set up in {server.ready().setup_seconds:.1f} s, "
                f"{len(row.results)} clicks{_first_error(row.results)}"
            )
            dropped[row.target] = _since(overflows)
            note = _logged(row.target, row.logged)
            if note:
                notes.append(note)
    table = click_table(rows)
    notes.insert(0, click_reading(rows, cfg))
    overflow = _overflow_note(dropped)
    if overflow:
        notes.append(overflow)
    return table, _section(
        CLICK_ABOUT,
        table,
        cfg,
        mode,
        began,
        notes,
        clicks=count,
        people=len(people),
        questions=len(CORE_IDS),
        question_ids=", ".join(f"`{q}`" for q in CORE_IDS),
        warmup=WARMUP_PEOPLE * len(CORE_IDS),
        warmup_people=WARMUP_PEOPLE,
        not_saved=NOT_SAVED,
    )


def _section(
    template: str,
    table: str,
    cfg: StormConfig | ClickConfig,
    mode: str,
    began: float,
    notes: list[str],
    **extra: Any,
) -> str:
    """A benchmark's section of the results file."""
    settings = Settings(_env_file=None)
    return template.format(
        table=table,
        cfg=cfg,
        mode=mode,
        took=time.monotonic() - began,
        notes="\n\n".join(notes),
        retry_after=RETRY_AFTER_SECONDS,
        methods=len(RATE_LIMITED_METHODS),
        header=APP_HEADER,
        paused=PAUSED,
        slack=SLACK_SECONDS,
        http_threads=settings.http_threads,
        listener_threads=settings.listener_threads,
        background=BACKGROUND_THREADS,
        budget=ACK_BUDGET_SECONDS,
        **machine(PACKAGES),
        **extra,
    )


def main(argv: list[str] | None = None) -> int:
    """Run both benchmarks, print their tables, and write their sections."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run, to check it works")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--postgres-url", help="a server to create the throwaway databases on")
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    storm_cfg = StormConfig(
        setup_clients=20,
        concurrent=50,
        calm_rounds=2 if args.quick else 5,
        rounds=3 if args.quick else 10,
        lead=1.0,
        gap=0.25,
    )
    rate = 100.0
    click_cfg = ClickConfig(
        rate=rate,
        seconds=3.0 if args.quick else 20.0,
        pool=round(rate * SLACK_SECONDS),
        seed=7,
    )
    began = time.monotonic()
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="atlas-bench-"))
        databases: list[Database] = [("app · SQLite", lambda run: f"sqlite:///{tmp}/{run}.db")]
        pg: dict[str, str] = {}
        for run in RUNS:
            url, note = stack.enter_context(postgres_database(args.postgres_url))
            if url is None:
                break
            pg[run] = url
        if len(pg) == len(RUNS):
            databases.append(("app · PostgreSQL", pg.__getitem__))
            note = f"PostgreSQL: {note}, a fresh database per server, dropped after the run."
        else:
            note = f"PostgreSQL rows skipped: {note}."
            _log(note)
        storm_tables_, storm_section = run_storm(databases, storm_cfg, mode, [note])
        write_section(args.out, RATE_SECTION, storm_section)
        click_table_, click_section = run_clicks(databases, click_cfg, mode, [note])
        write_section(args.out, CLICK_SECTION, click_section)
    print(storm_tables_, click_table_, sep="\n\n")
    _log(f"wrote {args.out} in {time.monotonic() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
