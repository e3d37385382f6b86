"""Pulse fan-out to many members under Slack's rate limits: the app beside a plain slack_sdk loop.

A `FakeSlack` in this process enforces Slack's published tiers, every allowance multiplied by
`--scale`; each contender runs in its own spawned process, so its peak memory is its own. Run
from the repository root: `python -m bench.pulse_fanout [--quick] [--members N] [--scale S]`.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import TYPE_CHECKING

from bench import _report
from bench._report import ROOT, machine, peak_mib, postgres_database, write_section

if TYPE_CHECKING:
    from bot.sandbox.rate_limits import RateLimiter
    from bot.sandbox.web_api import FakeSlack

# Only the standard library and bench._report at the top: every child process re-imports this
# module, and the plain-loop contenders should pay for slack_sdk alone, not for the app.

SECTION = "pulse_fanout"
TEAM_ID = "T0SANDBOX"
TOKEN = "xoxb-bench-pulse-fanout"
METHOD = "chat.postMessage"
DEFAULT_SCALE = 8.0
APP_RATE = 4.0  # the app's chat.postMessage pace per second (bot.outbound.DEFAULT_RATES)
MAX_PASSES = 5
PLAIN_TEXT = "Weekly AI adoption pulse: three quick questions, about a minute."
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "America/Los_Angeles", "UTC")
MIB = 1024 * 1024

ABOUT = """\
## Pulse fan-out to {members:,} members under Slack's rate limits

**What is measured.** One weekly-pulse round sent as one DM to each of {members:,} people through
`FakeSlack` (over 127.0.0.1), counted at the fake: *delivered* = people with at least one message
in their DM, *lost* = people with none, *duplicated* = people with more than one, *429s* =
`chat.postMessage` calls the fake refused. *wall* runs from the first call to the last answer,
inside the contender's process.

- **Floor**: the least time in which the enforced limits admit {members:,} DMs to {members:,}
  different people, `rate_limit_floor_seconds("chat.postMessage", N, N)`. With one DM per channel
  only the workspace window binds: A calls a minute admit N calls in 60 × ⌊(N − 1) ÷ A⌋ s. So
  *wall ÷ floor* near 1 is as fast as Slack allows; a row that lost DMs can beat the floor, which
  is the time to deliver all of them.
- **Memory**: *peak MiB* is the peak resident memory of the contender's own process at its end
  (`VmHWM`), interpreter and imports included. Before the run it stood at: {start_mib} MiB.
  Not `ru_maxrss`: on Linux a spawned child inherits its parent's peak there, so every row would
  show at least this parent's {parent_mib:.0f} MiB. {traced}

**Model of Slack's limits, × {scale:g}.** `bot.sandbox.rate_limits`: `chat.postMessage` about 1
per second per channel with a burst of 3, plus a workspace-wide 240 a minute (Slack does not
publish one; 240 matches the 1,600 DMs in about 7 minutes reported in the field); Tiers 2/3/4 at
20/50/100 calls a minute per method. Every allowance is multiplied by the scale, {scale:g}: here
the workspace takes {cap:,} `chat.postMessage` a minute, and each DM channel a burst of {burst}
then {channel_rate:g} a second. Past a limit the fake answers HTTP 429 with `Retry-After` (the
seconds until a slot frees, rounded up). The app's `Caller` is scaled by the same factor,
`rates={{"chat.postMessage": {app_rate:g} × {scale:g}}}`: {paced:g} a second, burst {paced_burst}.
So the run keeps the shape of a real one, {scale:g}× faster: at Slack's real limits every time
here would be {scale:g}× longer.

**Contenders**, each in its own spawned process, one after another, against the same `FakeSlack`
(in the parent process); `fake.reset()` before each clears its messages, calls and rate-limit
windows (the limits stay).

- **app · SQLite / PostgreSQL**: a migrated database (a temporary SQLite file; a throwaway
  PostgreSQL database dropped `WITH (FORCE)` at the end) holding one team of {members:,} members
  with fresh profiles (so no `users.info`) and quiet hours off (so everyone is due now);
  `Caller(make_web_client(settings, token, retries=False), rates=…)`, then `start_now` and
  `deliver` again until every member is sent or a pass finds nothing due (at most {max_passes}
  passes). Its DMs carry blocks and metadata, as in production.
- **plain loop**: `WebClient(base_url=…, token=…)` with slack_sdk's defaults (only connection
  errors are retried) calling `chat_postMessage(channel=user_id, text=…)` once per member, back
  to back; a `SlackApiError` counts as lost. **plain loop + 1 retry**: the same plus
  `RateLimitErrorRetryHandler(max_retry_count=1)`, which sleeps `Retry-After` + 0–1 s and tries
  each refused call once more. It has no ledger: a crash or timeout mid-run leaves no record of
  who got a DM. Here `Retry-After` is exact and nothing else spends the workspace's allowance,
  the kindest case for a single retry.

**Machine.** nproc {nproc}, Python {python}, {versions}; load average at the end {load}; {date};
mode: {mode}; the whole run took {took:.0f} s. The machine is shared and noisy; wall times within
a few percent of the floor are at the floor.

**Reproduce.** `make bench` (runs `python -m bench.pulse_fanout` after `bench.ack_latency`), or
from the repository root: `.venv/bin/python -m bench.pulse_fanout [--quick] [--members N]
[--scale S] [--out bench/RESULTS.md] [--postgres-url URL] [--tracemalloc]`.

{table}

{notes}"""
TRACED = (
    "*traced MiB* is the `tracemalloc` peak of Python allocations during the run alone; tracing\n"
    "  was on in every row (`--tracemalloc`), which makes the app's own work about 3× slower."
)
UNTRACED = (
    "`tracemalloc` was off: it makes the app's own work about 3× slower; `--tracemalloc` adds\n"
    "  its peak as a column."
)


@dataclass(frozen=True)
class Contender:
    """A way of sending the round, and what it needs."""

    label: str
    kind: str  # "app", "plain" or "plain+retry"
    database_url: str | None = None
    team_id: int | None = None


@dataclass(frozen=True)
class ChildRun:
    """What a contender's process measured about itself."""

    wall: float
    start_mib: float
    peak_mib: float
    traced_mib: float | None
    detail: str


@dataclass(frozen=True)
class Row:
    """One line of the results table, counted at the fake."""

    label: str
    kind: str
    delivered: int
    lost: int
    duplicated: int
    ratelimited: int
    wall: float
    floor: float
    start_mib: float
    peak_mib: float
    traced_mib: float | None
    detail: str


# --- setting up ---------------------------------------------------------------------------------
def user_ids(count: int) -> list[str]:
    """Slack-shaped user ids for `count` people."""
    return [f"U{index:08d}" for index in range(1, count + 1)]


def prepare_database(database_url: str, people: list[str]) -> int:
    """Migrate the database and create one team with `people` as members; returns the team id."""
    from sqlalchemy import insert

    from bot.services.teams import create_team
    from bot.storage.db import Database
    from bot.storage.migrations import upgrade
    from bot.storage.models import Member, Role

    db = Database.from_url(database_url)
    try:
        upgrade(db.engine)
        no_quiet_hours = clock_time(0, 0)  # start == end: nobody's pulse waits for the morning
        team = create_team(
            db=db,
            slack_team_id=TEAM_ID,
            name="Pulse fan-out",
            quiet_start=no_quiet_hours,
            quiet_end=no_quiet_hours,
        )
        now = datetime.now(UTC)
        rows = [
            {
                "workspace_id": team.workspace_id,
                "team_id": team.id,
                "slack_user_id": user_id,
                "timezone": ZONES[index % len(ZONES)],
                "role": Role.MEMBER,
                "active": True,
                "joined_at": now,
                "profile_synced_at": now,
            }
            for index, user_id in enumerate(people)
        ]
        with db.unit_of_work() as session:
            session.execute(insert(Member), rows)
        return team.id
    finally:
        db.dispose()


# --- contenders (each in a child process) -------------------------------------------------------
def app_fanout(
    contender: Contender, api_url: str, people: list[str], scale: float
) -> Callable[[], str]:
    """Open the app's database and Caller; return the timed part: `start_now` + `deliver` passes."""
    from sqlalchemy import func, select

    from bot.app import make_web_client
    from bot.outbound import Caller
    from bot.services import pulse
    from bot.settings import load_settings
    from bot.storage.db import Database
    from bot.storage.models import Delivery

    assert contender.database_url is not None and contender.team_id is not None
    settings = load_settings(
        _env_file=None,
        slack_bot_token=TOKEN,
        slack_api_url=api_url,
        database_url=contender.database_url,
    )
    db = Database.from_url(settings.database_url)
    client = make_web_client(settings, TOKEN, retries=False)
    caller = Caller(client, rates={METHOD: APP_RATE * scale})

    def run() -> str:
        try:
            started = pulse.start_now(db=db, team_id=contender.team_id, now=pulse.utcnow())
            totals: Counter[str] = Counter()
            passes: list[str] = []
            for _ in range(MAX_PASSES):
                report = pulse.deliver(db=db, round_id=started.round_id, caller=caller)
                counts = {
                    name: getattr(report, name)
                    for name in ("sent", "retry", "failed", "ambiguous", "reconciled")
                }
                totals.update(counts)
                passes.append(", ".join(f"{k} {v}" for k, v in counts.items() if v) or "nothing")
                if totals["sent"] >= len(people) or report.stopped or report.busy:
                    break
                if not any(counts.values()):
                    break  # nothing was due
            with db.unit_of_work() as session:
                ledger = session.execute(
                    select(Delivery.status, func.count())
                    .where(Delivery.round_id == started.round_id)
                    .group_by(Delivery.status)
                ).all()
        finally:
            db.dispose()
        states = ", ".join(f"{status.value} {count}" for status, count in sorted(ledger))
        return (
            f"{len(passes)} deliver pass(es) ({'; '.join(passes)}); ledger: {states}; "
            f"the Caller waited out {caller.ratelimited} 429s"
        )

    return run


def plain_fanout(
    contender: Contender, api_url: str, people: list[str], scale: float
) -> Callable[[], str]:
    """A slack_sdk WebClient with its defaults; return the timed part: one call per member."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError
    from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

    client = WebClient(base_url=api_url, token=TOKEN)
    if contender.kind == "plain+retry":
        client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))

    def run() -> str:
        errors: Counter[str] = Counter()
        for user_id in people:
            try:
                client.chat_postMessage(channel=user_id, text=PLAIN_TEXT)
            except SlackApiError as exc:
                errors[str(exc.response.get("error") or exc.response.status_code)] += 1
        refused = ", ".join(f"{error} × {count}" for error, count in errors.items())
        return f"SlackApiError: {refused}" if errors else "no SlackApiError"

    return run


def _contend(
    contender: Contender,
    api_url: str,
    people: list[str],
    scale: float,
    trace: bool,
) -> ChildRun:
    """Child process: prepare, run and time one contender."""
    prepare = app_fanout if contender.kind == "app" else plain_fanout
    run = prepare(contender, api_url, people, scale)
    start_mib = peak_mib()
    if trace:
        tracemalloc.start()
    began = time.perf_counter()
    detail = run()
    wall = time.perf_counter() - began
    traced = tracemalloc.get_traced_memory()[1] / MIB if trace else None
    tracemalloc.stop()
    return ChildRun(wall, start_mib, peak_mib(), traced, detail)


def run_in_child(
    contender: Contender,
    api_url: str,
    people: list[str],
    scale: float,
    trace: bool,
    timeout: float,
) -> ChildRun:
    """Run one contender in a spawned process; a run past `timeout` is killed and reported."""
    began = time.perf_counter()
    try:
        return _report.run_in_child(
            _contend,
            (contender, api_url, people, scale, trace),
            label=contender.label,
            timeout=timeout,
        )
    except TimeoutError:
        return ChildRun(time.perf_counter() - began, 0, 0, None, f"KILLED after {timeout:.0f} s")


# --- measuring ----------------------------------------------------------------------------------
def measure(
    fake: FakeSlack, contender: Contender, people: list[str], scale: float, trace: bool
) -> Row:
    """Reset the fake, run the contender, and count at the fake what reached whom."""
    fake.reset()
    floor = fake.rate_limit_floor_seconds(METHOD, len(people), len(people))
    timeout = 10 * floor + 300
    child = run_in_child(contender, fake.api_url, people, scale, trace, timeout)
    received = fake.dm_messages_by_user()
    counts = [received.get(user_id, 0) for user_id in people]
    others = Counter(call.method for call in fake.calls if call.method != METHOD)
    detail = child.detail
    if others:
        detail += "; other calls: " + ", ".join(f"{m} × {n}" for m, n in sorted(others.items()))
    return Row(
        label=contender.label,
        kind=contender.kind,
        delivered=sum(1 for count in counts if count >= 1),
        lost=sum(1 for count in counts if count == 0),
        duplicated=sum(1 for count in counts if count > 1),
        ratelimited=fake.ratelimited_count(METHOD),
        wall=child.wall,
        floor=floor,
        start_mib=child.start_mib,
        peak_mib=child.peak_mib,
        traced_mib=child.traced_mib,
        detail=detail,
    )


# --- reporting ----------------------------------------------------------------------------------
def table(rows: list[Row]) -> str:
    """The results as a Markdown table (a traced-memory column when tracing was on)."""
    traced = any(row.traced_mib is not None for row in rows)
    lines = [
        "| contender | delivered | lost | duplicated | 429s | wall s | floor s | wall ÷ floor "
        "| peak MiB |" + (" traced MiB |" if traced else ""),
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|" + ("--:|" if traced else ""),
    ]
    for row in rows:
        ratio = f"{row.wall / row.floor:.2f}×" if row.floor else "— (floor 0)"
        lost = f"**{row.lost}**" if row.lost else "0"
        duplicated = f"**{row.duplicated}**" if row.duplicated else "0"
        line = (
            f"| {row.label} | {row.delivered} | {lost} | {duplicated} | {row.ratelimited} "
            f"| {row.wall:.1f} | {row.floor:.0f} | {ratio} | {row.peak_mib:.0f} |"
        )
        if traced:
            line += " — |" if row.traced_mib is None else f" {row.traced_mib:.1f} |"
        lines.append(line)
    return "\n".join(lines)


def section(
    rows: list[Row],
    members: int,
    limits: RateLimiter,
    scale: float,
    notes: list[str],
    mode: str,
    took: float,
) -> str:
    """The Markdown this benchmark owns in the results file."""
    paced = APP_RATE * scale
    start = ", ".join(f"{row.label} {row.start_mib:.0f}" for row in rows)
    return ABOUT.format(
        members=members,
        start_mib=start,
        scale=scale,
        cap=limits.per_minute(METHOD),
        burst=limits.channel_burst,
        channel_rate=limits.channel_per_second,
        app_rate=APP_RATE,
        paced=paced,
        paced_burst=max(1, int(paced)),
        max_passes=MAX_PASSES,
        parent_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        traced=TRACED if any(row.traced_mib is not None for row in rows) else UNTRACED,
        **machine(("slack_sdk", "slack_bolt", "SQLAlchemy", "psycopg")),
        mode=mode,
        took=took,
        table=table(rows),
        notes="\n\n".join(notes),
    )


def contender_notes(rows: list[Row]) -> str:
    """One list item per contender on what it reported about itself."""
    return "What each contender saw:\n\n" + "\n".join(
        f"- {row.label}: {row.detail}." for row in rows
    )


# --- main ---------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table, and write the results section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="300 members: a check, under every limit"
    )
    parser.add_argument("--members", type=int, help="how many members (default 2000; quick 300)")
    parser.add_argument("--scale", type=float, default=DEFAULT_SCALE, help="limits multiplier")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--postgres-url", help="a server to create the throwaway database on")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also trace allocations (slows the app ~3×)"
    )
    args = parser.parse_args(argv)
    members = args.members or (300 if args.quick else 2000)
    if members < 1 or args.scale <= 0:
        parser.error("--members and --scale must be positive")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    from bot.sandbox.web_api import FakeSlack

    began = time.monotonic()
    notes: list[str] = []
    people = user_ids(members)
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="atlas-bench-"))
        fake = stack.enter_context(FakeSlack(team_id=TEAM_ID))
        limits = fake.enforce_rate_limits(scale=args.scale)
        for index, user_id in enumerate(people):
            fake.add_user(user_id, tz=ZONES[index % len(ZONES)])
        contenders = []
        sqlite_url = f"sqlite:///{tmp}/atlas.db"
        contenders.append(
            Contender("app · SQLite", "app", sqlite_url, prepare_database(sqlite_url, people))
        )
        pg_url, pg_note = stack.enter_context(postgres_database(args.postgres_url))
        if pg_url:
            team_id = prepare_database(pg_url, people)
            contenders.append(Contender("app · PostgreSQL", "app", pg_url, team_id))
            notes.append(f"PostgreSQL: {pg_note}, a fresh database dropped after the run.")
        else:
            notes.append(f"PostgreSQL row skipped: {pg_note}.")
            log(notes[-1])
        contenders.append(Contender("plain loop", "plain"))
        contenders.append(Contender("plain loop + 1 retry", "plain+retry"))
        log(f"{members} members, scale {args.scale:g}: {limits.per_minute(METHOD)} DMs/min")
        rows = []
        for contender in contenders:
            rows.append(measure(fake, contender, people, args.scale, args.tracemalloc))
            row = rows[-1]
            log(
                f"{row.label}: {row.delivered} delivered, {row.lost} lost, {row.duplicated} dup, "
                f"{row.ratelimited} 429s, {row.wall:.1f} s (floor {row.floor:.0f} s), "
                f"{row.peak_mib:.0f} MiB — {row.detail}"
            )
    app_rows = [row for row in rows if row.kind == "app"]
    if any(row.lost or row.duplicated for row in app_rows):
        notes.insert(0, "**The app lost or duplicated DMs in this run: see below.**")
    notes.append(contender_notes(rows))
    mode = "quick" if args.quick else "full"
    body = section(rows, members, limits, args.scale, notes, mode, time.monotonic() - began)
    print(table(rows))
    print("\n".join(notes), flush=True)
    write_section(args.out, SECTION, body)
    log(f"wrote {args.out} in {time.monotonic() - began:.0f} s")
    return 1 if any(row.lost or row.duplicated for row in app_rows) else 0


if __name__ == "__main__":
    sys.exit(main())
