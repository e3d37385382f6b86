"""The request path under pressure: Slack answering 429 to everything, and a burst of answer clicks.

Each server runs in its own process with its `FakeSlack` (`bench._request_server`), served by the
project's waitress `HttpServer` with real waits; the load generator runs in this process. Run
from the repository root: `python -m bench.request_path [--quick] [--out bench/RESULTS.md]`.
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
  error, or later than {slack:g} s. Failures are counted, never in the latencies.
- **Targets**, each in its own process with its `FakeSlack`, one after another: `RunningApp`
  (waitress {http_threads} threads, Bolt listener pool {listener_threads}, hand-off pool
  {background}) on a migrated temporary SQLite file and on a throwaway PostgreSQL database, once
  with Slack answering 429 to everything and once answering normally (the *reference*); and a
  bare Bolt app that acks `/atlas` with a short text, the floor (it calls no Web API).
- **Second table**: the storm's setup commands; *server CPU per request*: the server process's
  CPU time during the storm ÷ the requests it answered then (its `FakeSlack`, in the same
  process, included); *429s*: calls the stand-in refused; *told “slow down”*: setup commands
  whose person was told so by response_url; *listeners all free after*: how long after the last
  storm request every listener thread was free; *hand-offs waiting*: work handed to the
  background threads (the Home tab publish after `pause`, the setup modal's fill-in) still
  waiting on Slack then. The process is ended without draining them.

**Machine.** nproc {nproc}, Python {python}, {versions}; load average at the end {load}; {date};
mode: {mode}; this benchmark took {took:.0f} s. The machine is shared with other work, and the
load generator shares its cores with the server: the numbers are noisy, so read the medians and
the ratios rather than single values.

**Reproduce.** `make bench` (runs `python -m bench.request_path`), or from the repository root:
`.venv/bin/python -m bench.request_path [--quick] [--out bench/RESULTS.md] [--postgres-url URL]`.

{table}

{notes}"""

CLICK_ABOUT = """\
## A burst of pulse answer clicks

**What is measured.** {clicks:,} pulse answer clicks at {cfg.rate:g} a second for
{cfg.seconds:g} s, open loop: each click is due at a fixed time and handed to one of
{cfg.pool} sender threads; its latency counts from that *intended* time to the whole HTTP reply
(so queueing in the client is included), a fresh connection per request.

- **Set-up, through the app's own services**: one team of {people} people, a round started now
  (the served app reads the real clock) and its DMs sent through the `FakeSlack`. Each click is a
  signed `block_actions` payload built from the DM its person got
  (`bot.sandbox.people.find_element` and `click_payload`): {people} people × the {questions} core
  questions ({question_ids}), each (person, question) clicked once, in a shuffled order (seed
  {cfg.seed}). {warmup} warm-up clicks from {warmup_people} other people go first.
- **What a click costs the app**: the answer is saved *before* the ack, in one transaction
  under the request's {budget:g} s budget (the delivery row locked, the answer upserted, the
  updated pulse view built); after the ack the DM is replaced through the response_url. Nothing
  is prepared for the benchmark that a real click would not find: the write before the ack, the
  bottleneck, is in every number.
- **Counted**: *acknowledged*: clicks answered HTTP 200. *stored*: distinct (person, question)
  of the burst in the database once the app has finished (each pair is clicked once, so
  *acknowledged* is also the distinct pairs acknowledged). *told not saved*: clicks whose person
  got “{not_saved}” by response_url (the save missed the budget and rolled back).
  *lost*: acknowledged, not stored, and not told. *failures*: not 200, a wrong body (the ack is
  empty), a transport error, or later than {slack:g} s (*late*). *server CPU per click*: the
  server process's CPU time from the start of the burst until its listeners were idle ÷ clicks
  (its `FakeSlack`, which takes the response_url posts, included).
- **Targets**, each in its own process, one after another: `RunningApp` (waitress
  {http_threads} threads, Bolt listener pool {listener_threads}, real waits) against its
  `FakeSlack` on a migrated temporary SQLite file and on a throwaway PostgreSQL database; and the
  **floor**, a bare Bolt app (`slack_bolt.App` behind its WSGI adapter, same server, same
  threads) whose action listener only acks, sent the same payloads. Both use Bolt's default
  `process_before_response=False`, which polls for the ack every 10 ms: about 10 ms is the floor
  of every ack.

**Machine.** nproc {nproc}, Python {python}, {versions}; load average at the end {load}; {date};
mode: {mode}; this benchmark took {took:.0f} s. The machine is shared with other work, and the
load generator shares its cores with the server: the numbers are noisy, so read the medians and
the ratios to bare Bolt rather than single values.

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


# --- sending ------------------------------------------------------------------------------------
def _sender(ready: Ready) -> SignedSender:
    base = (ready.slack_url or "http://127.0.0.1:9") + "/response"
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
    if latency > SLACK_SECONDS:
        return Result(latency, f"late: {latency:.2f} s", acked=True)
    return Result(latency, None, acked=True)


def _is_card(reply: SlackReply) -> bool:
    return any(
        block.get("type") == "header" and block.get("text", {}).get("text") == APP_HEADER
        for block in (reply.json or {}).get("blocks") or []
    )


def _checks(bare: bool) -> dict[str, Callable[[SlackReply], bool]]:
    """How to recognise the right reply to each command."""
    if bare:
        said = lambda reply: (reply.json or {}).get("text") == BARE_TEXT  # noqa: E731
        return {"2.2": said, "pause": said, "setup new": said}
    return {
        "2.2": _is_card,
        "pause": lambda reply: str((reply.json or {}).get("text", "")).startswith(PAUSED),
        "setup new": lambda reply: reply.body == b"",
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
    report: dict[str, Any]  # what the server process holds once the storm has stopped
    listeners_free: float | None  # seconds until every listener was free; None: not in 10 s


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

    cpu = server.ask("report")["cpu"]
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
    report = server.ask("report")
    slack = "429 to every call" if server.spec.ratelimit_everything else "answers normally"
    if server.spec.kind == "bare":
        slack = "(no Web API calls)"
    return StormRow(
        server.spec.label,
        slack,
        calm,
        stormy,
        setups,
        report["cpu"] - cpu,
        report,
        listeners_free,
    )


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
        "| server CPU ms per request | 429s | told “slow down” | listeners all free after "
        "| hand-offs waiting |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
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
        served = len(row.setups) + len(row.stormy)
        report = row.report
        limited = told = free = waiting = "—"  # the bare Bolt calls no Web API, hands nothing off
        if "listeners_busy" in report:
            limited, waiting = f"{report['ratelimited']:,}", f"{report['handoffs_waiting']:,}"
            told = str(sum(n for text, n in report["responses"].items() if text == BUSY_MESSAGE))
            if row.listeners_free is not None:
                free = f"{row.listeners_free * 1e3:.0f} ms"
            else:
                free = "**not in 10 s**"
        held.append(
            f"| {row.target} | {row.slack} | {len(row.setups):,} "
            f"| {_bold(sum(1 for r in row.setups if r.error))} "
            f"| {percentile(_ms(row.setups), 50):.1f} | {1e3 * row.cpu / served:.1f} "
            f"| {limited} | {told} | {free} | {waiting} |"
        )
    return "\n".join(latency) + "\n\n" + "\n".join(held)


def _ms(results: list[Result]) -> list[float]:
    """The latencies (ms) of the right replies, sorted."""
    return sorted(r.latency * 1e3 for r in results if r.error is None)


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
        sender = _sender(ready)
        while (item := due.get()) is not None:
            index, intended = item
            lags.append(time.perf_counter() - intended)
            results[index] = _click(sender, clicks[index], intended)

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
    stored: set[tuple[str, str]] | None = None  # None: the bare Bolt stores nothing
    told_not_saved: int = 0


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
    cpu = server.ask("report")["cpu"]
    results, lag = open_loop(ready, clicks, cfg)
    if not server.ask("idle", 120.0, timeout=130.0):
        raise RuntimeError(f"{server.spec.label}: listeners still busy 120 s after the burst")
    report = server.ask("report")
    row = ClickRow(server.spec.label, clicks, results, report["cpu"] - cpu, lag, report["logged"])
    if server.spec.kind == "bare":
        return row
    told = report["responses"].get(NOT_SAVED, 0)
    return replace(row, stored=set(server.ask("stored")), told_not_saved=told)


def click_table(rows: list[ClickRow]) -> str:
    """The click table, with ratios to bare Bolt."""
    lines = [
        "| target | clicks | acknowledged | stored | lost | told not saved | not 200 "
        "| late > 3 s | failures | median ms | p90 ms | p99 ms | max ms | median ÷ bare "
        "| p99 ÷ bare | server CPU ms per click | worst send lag ms |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    bare = next((row for row in rows if row.stored is None), None)
    base = _ms(bare.results) if bare else []
    for row in rows:
        ok = _ms(row.results)
        acked = {(c[0], c[1]) for c, r in zip(row.clicks, row.results, strict=True) if r.acked}
        stored = lost = told = "—"
        if row.stored is not None:
            stored = f"{len(row.stored & {(c[0], c[1]) for c in row.clicks}):,}"
            # A click that missed its budget is acknowledged, rolled back and its person told.
            lost = _bold(len(acked - row.stored) - row.told_not_saved)
            told = _bold(row.told_not_saved)
        ratios = ["—", "—"]
        if row is not bare and base and ok:
            ratios = [
                f"{percentile(ok, 50) / percentile(base, 50):.2f}×",
                f"{percentile(ok, 99) / percentile(base, 99):.2f}×",
            ]
        late = sum(1 for r in row.results if r.error and r.error.startswith("late"))
        lines.append(
            f"| {row.target} | {len(row.clicks):,} | {len(acked):,} | {stored} | {lost} | {told} "
            f"| {_bold(sum(1 for r in row.results if not r.acked))} | {_bold(late)} "
            f"| {_bold(sum(1 for r in row.results if r.error))} | {percentile(ok, 50):.1f} "
            f"| {percentile(ok, 90):.1f} | {percentile(ok, 99):.1f} | {max(ok, default=0):.1f} "
            f"| {ratios[0]} | {ratios[1]} | {1e3 * row.cpu / len(row.clicks):.1f} "
            f"| {row.lag * 1e3:.1f} |"
        )
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------------------------
Database = tuple[str, Callable[[str], str]]  # a label, and a fresh database's URL for each run
RUNS = ("429", "ok", "clicks")  # the runs that need a database of their own


def _bold(count: int) -> str:
    return f"**{count:,}**" if count else "0"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _first_error(results: list[Result]) -> str:
    first = next((r.error for r in results if r.error), None)
    return f" (first: {first})" if first else ""


def _logged(label: str, report: dict[str, Any]) -> str | None:
    """A note on what the app logged at WARNING and above, if anything."""
    logged = report.get("logged") or {}
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
    with served(specs) as servers:
        for server in servers:
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
            note = _logged(f"{row.target} ({row.slack})", row.report)
            if note:
                notes.append(note)
    tables = storm_tables(rows)
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
    with served(specs) as servers:
        first = servers[0].ready()  # the bare Bolt acks any pulse click: it gets these payloads
        for server in servers:
            ready = first if server.spec.kind == "bare" else server.ready()
            row = burst(
                server,
                clicks_from(ready, people, cfg.seed)[:count],
                clicks_from(ready, warm_people, cfg.seed),
                cfg,
            )
            server.stop()
            rows.append(row)
            _log(f"{row.target}: {len(row.results)} clicks{_first_error(row.results)}")
            note = _logged(row.target, {"logged": row.logged})
            if note:
                notes.append(note)
    table = click_table(rows)
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
    click_cfg = ClickConfig(rate=100.0, seconds=3.0 if args.quick else 20.0, pool=64, seed=7)
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
