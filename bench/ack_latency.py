"""Ack latency of a signed `/atlas 2.2` over HTTP: the app (SQLite, PostgreSQL) beside bare Bolt.

Each server runs in its own process (so the load generator does not share its GIL), served by
the project's waitress `HttpServer`; the real app answers against a `FakeSlack` stand-in. Run from
the repository root: `python -m bench.ack_latency [--quick] [--out bench/RESULTS.md]`.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import queue
import statistics
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from math import ceil
from multiprocessing.connection import Connection
from pathlib import Path

from bench._report import ROOT, machine, postgres_database, write_section
from bot.sandbox import FakeSlack, SignedSender, SlackReply
from bot.sandbox.running import SANDBOX_SIGNING_SECRET, RunningApp
from bot.settings import Settings
from bot.web import HttpServer

SECTION = "ack_latency"
COMMAND_TEXT = "2.2"
APP_HEADER = "2.2 · Only the AI lead uses the tools"
BARE_TEXT = "Bare Bolt says hi."
TEAM_ID = "T0SANDBOX"

ABOUT = """\
## Ack latency of `/atlas {text}` over HTTP

**What is measured.** The time from sending a signed slash command `/atlas {text}` (built and
signed exactly as Slack does, a fresh connection per request, over 127.0.0.1) to reading the whole
HTTP reply: the ack, which carries the answer. Every reply is checked (HTTP 200 and, for the app, a
header block “{header}”); failures are counted in *errors*, never in the latencies.

- **Targets**, each in its own process, served by the project's `HttpServer` (waitress,
  {http_threads} threads; Bolt listener pool {listener_threads}). *bare Bolt*: a `slack_bolt.App`
  behind `slack_bolt.adapter.wsgi.SlackRequestHandler`, a fixed `authorize`, and a `/atlas` that
  acks a short ephemeral text. *app*: `RunningApp` (`create_app` behind `SlackWsgi`, against
  `FakeSlack`) on a migrated temporary SQLite file and on a throwaway PostgreSQL database. The load
  generator runs in the parent process.
- **Closed loop**: {cfg.clients} client threads, {cfg.per_client} requests each, back to back;
  {cfg.repeats} runs per target, interleaved across targets. Latency ≈ clients ÷ throughput here,
  so it mostly measures throughput: read it against bare Bolt.
- **Open loop**: {cfg.rate:g} requests/s for {cfg.seconds:g} s, dispatched on schedule to
  {cfg.pool} sender threads; latency counts from the *intended* send time, so any queueing in the
  client is included (no coordinated omission).
- **Statistics**: closed-loop req/s and percentiles are the median over the {cfg.repeats} runs,
  *max* is the worst of all runs, requests and errors are totals. Each server first gets
  {cfg.warmup} warm-up requests. Ratios compare with bare Bolt under the same loop.
- **Floor**: both targets use Bolt's default `process_before_response=False`, where the request
  thread polls for the listener's `ack()` every 10 ms (slack_bolt's `ThreadListenerRunner`). So
  about 10 ms is the floor of every ack here, and {http_threads} threads ÷ 10 ms caps the closed
  loop near {ceiling} req/s.

**Machine.** nproc {nproc}, Python {python}, {versions}; load average at the end {load}; {date};
mode: {mode}; the whole run took {took:.0f} s. The machine is shared and noisy: trust the ratios
more than the absolute numbers.

**Reproduce.** `make bench` (runs `python -m bench.ack_latency`), or from the repository root:
`.venv/bin/python -m bench.ack_latency [--quick] [--out bench/RESULTS.md] [--postgres-url URL]`.

{table}

Closed-loop medians per run (ms): {medians}.

{notes}"""


@dataclass(frozen=True)
class Config:
    """How much load to apply."""

    clients: int
    per_client: int
    repeats: int
    rate: float
    seconds: float
    pool: int
    warmup: int


@dataclass(frozen=True)
class Target:
    """A server to measure and how to recognise a correct reply from it."""

    label: str
    kind: str  # "bare" or "app"
    database_url: str | None = None

    def accepts(self, reply: SlackReply) -> bool:
        """Whether a 200 reply carries the expected answer."""
        body = reply.json or {}
        if self.kind == "bare":
            return body.get("text") == BARE_TEXT
        return any(
            block.get("type") == "header" and block.get("text", {}).get("text") == APP_HEADER
            for block in body.get("blocks") or []
        )


@dataclass(frozen=True)
class Run:
    """One measurement: latencies (s) of correct replies, failures, and elapsed wall time."""

    latencies: list[float]
    errors: int
    wall: float
    first_error: str | None = None
    max_lag: float = 0.0  # open loop: worst delay between intended and actual send


@dataclass(frozen=True)
class Row:
    """One line of the results table (latencies in ms)."""

    target: str
    loop: str
    requests: int
    errors: int
    throughput: float
    p50: float
    p90: float
    p99: float
    max: float
    run_medians: list[float]


# --- servers (each in a child process) -----------------------------------------------------------
@contextmanager
def bare_bolt() -> Iterator[str]:
    """A bare Bolt app behind slack_bolt's WSGI adapter, served by the project's HttpServer."""
    from slack_bolt import Ack, App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_bolt.authorization import AuthorizeResult

    settings = Settings(_env_file=None)  # the same thread counts the app reads
    app = App(
        signing_secret=SANDBOX_SIGNING_SECRET,
        token_verification_enabled=False,
        authorize=lambda enterprise_id, team_id: AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-bare", bot_user_id="U0B"
        ),
        listener_executor=ThreadPoolExecutor(max_workers=settings.listener_threads),
    )

    @app.command("/atlas")
    def atlas(ack: Ack) -> None:
        ack(response_type="ephemeral", text=BARE_TEXT)

    server = HttpServer(
        SlackRequestHandler(app), host="127.0.0.1", port=0, threads=settings.http_threads
    ).start()
    try:
        yield server.url
    finally:
        server.stop()


def _serve(target: Target, conn: Connection) -> None:
    """Child process: start the target, send its URL, stop when the parent says so or goes away."""
    # waitress warns "Task queue depth is N" whenever requests wait for a thread: by design here.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    with ExitStack() as stack:
        try:
            if target.kind == "bare":
                url = stack.enter_context(bare_bolt())
            else:
                slack = stack.enter_context(FakeSlack(team_id=TEAM_ID))
                assert target.database_url is not None
                url = stack.enter_context(RunningApp(slack, target.database_url)).url
        except Exception:
            conn.send(("error", traceback.format_exc()))
            return
        conn.send(("ready", url))
        with suppress(EOFError, OSError):
            conn.recv()


@contextmanager
def served(target: Target) -> Iterator[str]:
    """Run `target` in a child process for the duration of the block; yields its base URL."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve, args=(target, theirs), daemon=True)
    process.start()
    theirs.close()
    try:
        if not ours.poll(120):
            raise RuntimeError(f"{target.label}: server did not start within 120 s")
        try:
            status, detail = ours.recv()
        except EOFError:
            raise RuntimeError(f"{target.label}: server process died while starting") from None
        if status != "ready":
            raise RuntimeError(f"{target.label}: server failed to start:\n{detail}")
        yield detail
    finally:
        with suppress(OSError):
            ours.send("stop")
        process.join(20)
        if process.is_alive():
            process.terminate()
            process.join(5)
        ours.close()


# --- load ---------------------------------------------------------------------------------------
def attempt(sender: SignedSender, target: Target) -> str | None:
    """Send one signed `/atlas 2.2`; None if the reply is right, else what went wrong."""
    try:
        reply = sender.command(COMMAND_TEXT)
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    if reply.status != 200:
        return f"HTTP {reply.status}: {reply.text[:200]}"
    try:
        ok = target.accepts(reply)
    except (ValueError, AttributeError):
        ok = False
    return None if ok else f"unexpected body: {reply.text[:200]}"


def _sender(url: str) -> SignedSender:
    return SignedSender(url, SANDBOX_SIGNING_SECRET, team_id=TEAM_ID)


def warm_up(url: str, target: Target, count: int) -> None:
    """Send `count` requests one by one; raise if any fails (the target is broken)."""
    sender = _sender(url)
    for _ in range(count):
        error = attempt(sender, target)
        if error:
            raise RuntimeError(f"{target.label}: warm-up request failed: {error}")


def closed_loop(url: str, target: Target, clients: int, per_client: int) -> Run:
    """`clients` threads, each sending `per_client` requests back to back."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client() -> None:
        sender, mine, failed = _sender(url), [], []
        start.wait()
        for _ in range(per_client):
            began = time.perf_counter()
            error = attempt(sender, target)
            if error:
                failed.append(error)
            else:
                mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)
            errors.extend(failed)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    return Run(latencies, len(errors), wall, errors[0] if errors else None)


def open_loop(url: str, target: Target, rate: float, seconds: float, pool: int) -> Run:
    """Requests due at a fixed rate; latency counts from the intended send time."""
    due: queue.SimpleQueue[float | None] = queue.SimpleQueue()
    latencies: list[float] = []
    errors: list[str] = []
    lags: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        sender = _sender(url)
        while (intended := due.get()) is not None:
            lag = time.perf_counter() - intended
            error = attempt(sender, target)
            finished = time.perf_counter()
            with lock:
                lags.append(lag)
                if error:
                    errors.append(error)
                else:
                    latencies.append(finished - intended)

    workers = [threading.Thread(target=worker, daemon=True) for _ in range(pool)]
    for thread in workers:
        thread.start()
    began = time.perf_counter() + 0.05
    for i in range(round(rate * seconds)):
        intended = began + i / rate
        delay = intended - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        due.put(intended)
    for _ in workers:
        due.put(None)
    for thread in workers:
        thread.join()
    wall = time.perf_counter() - began
    first = errors[0] if errors else None
    return Run(latencies, len(errors), wall, first, max(lags, default=0.0))


# --- reporting ----------------------------------------------------------------------------------
def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 if empty)."""
    if not ordered:
        return 0.0
    return ordered[max(0, ceil(q / 100 * len(ordered)) - 1)]


def summarize(target: str, loop: str, runs: list[Run]) -> Row:
    """Per-run statistics, then the median over runs (max: the worst; counts: totals)."""
    per_run = []
    for run in runs:
        ordered = sorted(run.latencies)
        per_run.append(
            (
                len(ordered) / run.wall,
                *(1000 * percentile(ordered, q) for q in (50, 90, 99, 100)),
            )
        )
    columns = list(zip(*per_run, strict=True))
    return Row(
        target=target,
        loop=loop,
        requests=sum(len(run.latencies) + run.errors for run in runs),
        errors=sum(run.errors for run in runs),
        throughput=statistics.median(columns[0]),
        p50=statistics.median(columns[1]),
        p90=statistics.median(columns[2]),
        p99=statistics.median(columns[3]),
        max=max(columns[4]),
        run_medians=list(columns[1]),
    )


def table(rows: list[Row]) -> str:
    """The results as a Markdown table, with ratios to bare Bolt under the same loop."""
    bare = {row.loop: row for row in rows if row.target == "bare Bolt"}
    lines = [
        "| target | loop | requests | errors | req/s | median ms | p90 ms | p99 ms | max ms "
        "| median ÷ bare | p99 ÷ bare |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        base = bare.get(row.loop)
        ratios = ["—", "—"]
        if base and row is not base and base.p50 and base.p99:
            ratios = [f"{row.p50 / base.p50:.2f}×", f"{row.p99 / base.p99:.2f}×"]
        errors = f"**{row.errors}**" if row.errors else "0"
        lines.append(
            f"| {row.target} | {row.loop} | {row.requests} | {errors} | {row.throughput:.0f} "
            f"| {row.p50:.1f} | {row.p90:.1f} | {row.p99:.1f} | {row.max:.1f} "
            f"| {ratios[0]} | {ratios[1]} |"
        )
    return "\n".join(lines)


def section(rows: list[Row], cfg: Config, notes: list[str], mode: str, took: float) -> str:
    """The Markdown this benchmark owns in the results file."""
    settings = Settings(_env_file=None)
    names = ("slack_bolt", "slack_sdk", "waitress", "SQLAlchemy")
    medians = "; ".join(
        f"{row.target}: " + " / ".join(f"{m:.1f}" for m in row.run_medians)
        for row in rows
        if row.loop.startswith("closed")
    )
    return ABOUT.format(
        text=COMMAND_TEXT,
        header=APP_HEADER,
        http_threads=settings.http_threads,
        listener_threads=settings.listener_threads,
        cfg=cfg,
        **machine(names),
        mode=mode,
        took=took,
        table=table(rows),
        medians=medians,
        ceiling=settings.http_threads * 100,
        notes="\n\n".join(notes),
    )


# --- main ---------------------------------------------------------------------------------------
def measure(targets: list[Target], cfg: Config, log: Callable[[str], None]) -> list[Row]:
    """Serve every target at once, then measure them in interleaved order."""
    with ExitStack() as stack:
        urls = {}
        for target in targets:
            urls[target.label] = stack.enter_context(served(target))
            warm_up(urls[target.label], target, cfg.warmup)
            log(f"{target.label}: serving at {urls[target.label]}")
        closed: dict[str, list[Run]] = {target.label: [] for target in targets}
        opened: dict[str, Run] = {}
        for repeat in range(cfg.repeats):
            for target in targets:
                run = closed_loop(urls[target.label], target, cfg.clients, cfg.per_client)
                closed[target.label].append(run)
                log(f"{target.label}: closed run {repeat + 1}: {_brief(run)}")
        for target in targets:
            run = open_loop(urls[target.label], target, cfg.rate, cfg.seconds, cfg.pool)
            opened[target.label] = run
            lag = f"worst send lag {run.max_lag * 1e3:.1f} ms"
            log(f"{target.label}: open loop: {_brief(run)}, {lag}")
    rows = []
    for target in targets:
        rows.append(summarize(target.label, f"closed, {cfg.clients} clients", closed[target.label]))
        rows.append(summarize(target.label, f"open, {cfg.rate:g} req/s", [opened[target.label]]))
    return rows


def _brief(run: Run) -> str:
    ordered = sorted(run.latencies)
    text_ = f"{len(ordered) / run.wall:.0f} req/s, median {1e3 * percentile(ordered, 50):.1f} ms"
    if run.errors:
        text_ += f", {run.errors} ERRORS (first: {run.first_error})"
    return text_


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table, and write the results section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run, to check it works")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--postgres-url", help="a server to create the throwaway database on")
    parser.add_argument("--rate", type=float, default=100.0, help="open-loop requests per second")
    args = parser.parse_args(argv)
    cfg = Config(
        clients=50,
        per_client=8 if args.quick else 40,
        repeats=3,
        rate=args.rate,
        seconds=3.0 if args.quick else 10.0,
        pool=64,
        warmup=20,
    )

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    began = time.monotonic()
    notes: list[str] = []
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="atlas-bench-"))
        targets = [
            Target("bare Bolt", "bare"),
            Target("app · SQLite", "app", f"sqlite:///{tmp}/atlas.db"),
        ]
        pg_url, pg_note = stack.enter_context(postgres_database(args.postgres_url))
        if pg_url:
            targets.append(Target("app · PostgreSQL", "app", pg_url))
            notes.append(f"PostgreSQL: {pg_note}, a fresh database dropped after the run.")
        else:
            notes.append(f"PostgreSQL row skipped: {pg_note}.")
            log(notes[-1])
        rows = measure(targets, cfg, log)
    errors = sum(row.errors for row in rows)
    if errors:
        notes.append(f"**{errors} requests failed: these figures are not valid.**")
    body = section(rows, cfg, notes, "quick" if args.quick else "full", time.monotonic() - began)
    print(table(rows))
    print("\n".join(notes))
    write_section(args.out, SECTION, body)
    log(f"wrote {args.out} in {time.monotonic() - began:.0f} s")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
