"""The App Home and the CSV export for the owner of a big team, on SQLite and PostgreSQL.

The team is `bench.diagnosis`'s big team (its generator, its seed), bulk-inserted into a migrated
database in this process and diagnosed once for real, so its findings are stored; the Home and the
export are then timed in a spawned process, so its peak memory is its own. Run from the
repository root: `python -m bench.home [--quick] [--out bench/RESULTS.md] [--postgres-url URL]`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from atlas.diagnosis.model import Status
from bench import _report
from bench._report import ROOT, find_postgres, machine, peak_mib, write_section
from bot.blocks.common import MAX_BLOCKS_PER_VIEW
from bot.blocks.home import home_view
from bot.services import export, home
from bot.storage.db import Database

if TYPE_CHECKING:
    from bench.diagnosis import Generated, Shape
    from bot.sandbox.web_api import FakeSlack

# The data builder (bench.diagnosis), the diagnosis and FakeSlack are the parent's and are imported
# where they are used: the measuring process re-imports this module, and its memory should be
# the Home's and the export's alone.

SECTION = "home"
SCENARIO = "home"  # the name of the temporary SQLite file
RUNS = 30
WARMUP = 3
QUICK_RUNS = 5
SLACK_DEADLINE = 3.0  # seconds Slack waits for an event's ack

ABOUT = """\
## App Home and export on a big team

**What is measured.** What opening the App Home and exporting the CSV cost on one big team:
{shape.members:,} members (an owner, an AI lead, an executive sponsor, the rest plain members)
with {shape.rounds} closed weekly rounds of answers, the big team of `bench.diagnosis` (its data
builder, seed {seed}; see its section for what the rows hold), plus one real
`diagnosis.run_team` (its owner DMs go to a `FakeSlack`), so the owner's Home shows stored
findings. Every call uses the same `now`, the Friday after the last round closed.

- **Home**: `home.gather(db=…, slack_team_id=…, user_id=…, now=…)` then `home_view(data)`, what
  `bot.listeners.home.publish` does before it calls `views.publish`; for the team's owner (whose
  Home adds the team's latest figures, 12-week trend and findings) and for a plain member (their
  own pulse and answers only). *median ms* and *p90 ms* are of {runs} runs after {warmup}
  warm-up runs; *gather ms* and *view ms* are the medians of the two parts. *blocks* counts the
  view's blocks (a Home tab holds at most {max_blocks}); *KiB* is the view as slack_sdk sends it
  in the `views.publish` body (`json.dumps`, non-ASCII escaped). Slack documents no byte limit
  for a Home view, only the block count and each element's text limit.
- **Export**: `export.team_csv(db, team_id, now)`, the file the owner's *Export CSV* button
  uploads (every closed round, aggregates only); *KiB* is its UTF-8 size.
- **Order**: each run calls the owner's Home, the member's Home and the export in turn, so drift
  in the machine's load touches all three alike. *÷ SQLite* compares medians.
- **Memory**: *peak MiB* is the peak resident memory (`VmHWM`) of the spawned process that
  measures one database, interpreter and imports included; it imports only what the Home and
  the export need. *after imports* is where it stood before its first query. The data is
  generated and diagnosed in the parent and counts in neither the times nor the memory.
- **Databases**: a migrated temporary SQLite file; a throwaway PostgreSQL database, `ANALYZE`d
  after the load (as in `bench.diagnosis`).

**Machine.** nproc {nproc}, Python {python}, {versions}; load average at the end {load}; {date};
mode: {mode}; the whole run took {took:.0f} s. The machine is shared and noisy: read the medians
and the ratios; p90 only shows the spread.

**Reproduce.** `make bench` (runs `python -m bench.home` after `bench.diagnosis`), or from the
repository root: `.venv/bin/python -m bench.home [--quick] [--out bench/RESULTS.md]
[--postgres-url URL]`.

{summary}

{table}

{setup}

{notes}"""


@dataclass(frozen=True)
class Job:
    """What a measuring process is asked to do."""

    database_url: str
    slack_team_id: str
    owner: str  # Slack user ids
    member: str
    team_id: int
    now: datetime
    warmup: int
    runs: int


@dataclass(frozen=True)
class View:
    """One person's Home: its times (seconds, one per run) and what it published."""

    gather: list[float]
    build: list[float]
    blocks: int
    size: int  # bytes of json.dumps(view)
    owned: int  # teams shown in full
    findings: int  # finding lines of the owned teams
    detected: int  # of which detected (the rest are watched)
    answers: int  # the person's own stored answers
    rounds: int  # rounds with stored answers

    @property
    def total(self) -> list[float]:
        """`gather` + `home_view`, per run."""
        return [g + b for g, b in zip(self.gather, self.build, strict=True)]


@dataclass(frozen=True)
class Measured:
    """What a measuring process found."""

    owner: View
    member: View
    export: list[float]
    csv_bytes: int
    csv_rows: int  # data rows, the header not counted
    csv_columns: int
    start_mib: float
    peak_mib: float


@dataclass(frozen=True)
class Row:
    """One database's results."""

    database: str
    generated: Generated
    diagnosis_s: float
    measured: Measured


# --- measuring (in a child process) -------------------------------------------------------------
def measure(job: Job) -> Measured:
    """Time the owner's Home, a plain member's Home and the team's CSV, interleaved."""
    db = Database.from_url(job.database_url)
    start_mib = peak_mib()
    times: dict[str, list[float]] = {k: [] for k in ("og", "ob", "mg", "mb", "export")}
    views: dict[str, tuple[dict[str, Any], home.HomeData]] = {}
    content = ""

    def open_home(user_id: str, key: str, keep: bool) -> None:
        began = time.perf_counter()
        data = home.gather(db=db, slack_team_id=job.slack_team_id, user_id=user_id, now=job.now)
        gathered = time.perf_counter()
        view = home_view(data)
        built = time.perf_counter()
        if keep:
            times[key + "g"].append(gathered - began)
            times[key + "b"].append(built - gathered)
        views[key] = (view, data)

    try:
        for run in range(job.warmup + job.runs):
            keep = run >= job.warmup
            open_home(job.owner, "o", keep)
            open_home(job.member, "m", keep)
            began = time.perf_counter()
            content = export.team_csv(db, job.team_id, job.now)
            if keep:
                times["export"].append(time.perf_counter() - began)
    finally:
        db.dispose()
    lines = content.splitlines()
    return Measured(
        owner=_view(times["og"], times["ob"], *views["o"]),
        member=_view(times["mg"], times["mb"], *views["m"]),
        export=times["export"],
        csv_bytes=len(content.encode()),
        csv_rows=len(lines) - 1,
        csv_columns=len(lines[0].split(",")) if lines else 0,
        start_mib=start_mib,
        peak_mib=peak_mib(),
    )


def _view(
    gather: list[float], build: list[float], view: dict[str, Any], data: home.HomeData
) -> View:
    return View(
        gather=gather,
        build=build,
        blocks=len(view["blocks"]),
        size=len(json.dumps(view).encode()),  # as slack_sdk's views_publish sends it
        owned=len(data.owned),
        findings=sum(len(team.findings) for team in data.owned),
        detected=sum(f.status is Status.DETECTED for team in data.owned for f in team.findings),
        answers=data.answer_count,
        rounds=len(data.recent) + data.older_rounds,
    )


# --- the data (in this process) -----------------------------------------------------------------
def diagnose_once(url: str, api_url: str, team_id: int) -> tuple[float, int]:
    """Run the real diagnosis on the team once; (seconds, modes detected)."""
    from bench.diagnosis import NOW, alert_caller
    from bot.services import diagnosis

    db = Database.from_url(url)
    try:
        began = time.perf_counter()
        result = diagnosis.run_team(
            db=db, team_id=team_id, caller=alert_caller(api_url, url), now=NOW, trigger="manual"
        )
        if not result.ok:
            raise RuntimeError(f"the diagnosis failed: {result.error}")
        return time.perf_counter() - began, len(result.detected)
    finally:
        db.dispose()


def people(url: str, team_id: int) -> tuple[str, str, str]:
    """(Slack team id, the owner's user id, the first plain member's user id) of the team."""
    from sqlalchemy import select

    from bot.storage.models import Member, Role, Workspace

    db = Database.from_url(url)
    try:
        with db.unit_of_work() as session:

            def first(role: Role) -> str:
                return session.scalars(
                    select(Member.slack_user_id)
                    .where(Member.team_id == team_id, Member.role == role)
                    .order_by(Member.id)
                    .limit(1)
                ).one()

            slack_team_id = session.scalars(
                select(Workspace.slack_team_id)
                .join(Member, Member.workspace_id == Workspace.id)
                .where(Member.team_id == team_id)
                .limit(1)
            ).one()
            return slack_team_id, first(Role.OWNER), first(Role.MEMBER)
    finally:
        db.dispose()


def measure_on(
    kind: str,
    url: str,
    shape: Shape,
    runs: int,
    fake: FakeSlack,
    timeout: float,
    log: Callable[[str], None],
) -> Row:
    """Fill a fresh database with the big team, diagnose it, then measure it in a child."""
    from bench.diagnosis import NOW, SLACK_TEAM_PREFIX, populate

    log(f"{kind}: generating {shape}…")
    generated = populate(url, shape, SLACK_TEAM_PREFIX)
    (team_id,) = generated.team_ids
    fake.reset()
    seconds, detected = diagnose_once(url, fake.api_url, team_id)
    log(
        f"  {generated.rows.total():,} rows in {generated.seconds:.1f} s; diagnosed in "
        f"{seconds:.2f} s ({detected} modes); measuring…"
    )
    slack_team_id, owner, member = people(url, team_id)
    job = Job(url, slack_team_id, owner, member, team_id, NOW, WARMUP, runs)
    measured = _report.run_in_child(measure, (job,), label=kind, timeout=timeout)
    if measured.owner.owned != 1 or measured.owner.findings == 0 or measured.member.owned:
        raise RuntimeError(f"{kind}: the owner's Home does not show the diagnosed team")
    log(
        f"  owner {_ms(measured.owner.total)} ms, member {_ms(measured.member.total)} ms, "
        f"CSV {_ms(measured.export)} ms, peak {measured.peak_mib:.0f} MiB"
    )
    return Row(kind, generated, seconds, measured)


# --- reporting ----------------------------------------------------------------------------------
def _median(values: list[float]) -> float:
    return statistics.median(values)


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def _ms(values: list[float]) -> str:
    return f"{1000 * _median(values):.1f}"


def _kib(size: int) -> str:
    return f"{size / 1024:.1f}"


def table(rows: list[Row]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| database | what | median ms | p90 ms | gather ms | view ms | ÷ SQLite | blocks | KiB |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    base = next((row.measured for row in rows if row.database == "SQLite"), None)
    for row in rows:
        m = row.measured
        for label, view, base_view in (
            ("owner's Home", m.owner, base and base.owner),
            ("plain member's Home", m.member, base and base.member),
        ):
            ratio = _ratio(view.total, base_view.total if base_view else None, row)
            lines.append(
                f"| {row.database} | {label} | {_ms(view.total)} | {1000 * _p90(view.total):.1f} "
                f"| {_ms(view.gather)} | {_ms(view.build)} | {ratio} "
                f"| {view.blocks} / {MAX_BLOCKS_PER_VIEW} | {_kib(view.size)} |"
            )
        ratio = _ratio(m.export, base.export if base else None, row)
        lines.append(
            f"| {row.database} | `team_csv` ({m.csv_rows} rows × {m.csv_columns} columns) "
            f"| {_ms(m.export)} | {1000 * _p90(m.export):.1f} | — | — | {ratio} | — "
            f"| {_kib(m.csv_bytes)} |"
        )
    return "\n".join(lines)


def _ratio(values: list[float], base: list[float] | None, row: Row) -> str:
    if row.database == "SQLite" or not base:
        return "—"
    return f"{_median(values) / _median(base):.2f}×"


def setup_table(rows: list[Row]) -> str:
    """Per database: the data, the diagnosis run, and the measuring process's memory."""
    lines = [
        "| database | rows | generating s | diagnosis s | findings on the Home, detected / watch "
        "| after imports MiB | peak MiB |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        m = row.measured
        watch = m.owner.findings - m.owner.detected
        lines.append(
            f"| {row.database} | {row.generated.rows.total():,} | {row.generated.seconds:.1f} "
            f"| {row.diagnosis_s:.2f} | {m.owner.detected} / {watch} "
            f"| {m.start_mib:.0f} | {m.peak_mib:.0f} |"
        )
    return "\n".join(lines)


def summary(rows: list[Row]) -> str:
    """What the numbers mean, in a few sentences."""
    if not rows:
        return "No database could be measured."
    names = " and ".join(row.database for row in rows)
    homes = " and ".join(f"{_ms(row.measured.owner.total)} ms" for row in rows)
    ratios = " and ".join(
        f"{_median(row.measured.owner.total) / _median(row.measured.member.total):.1f}×"
        for row in rows
    )
    csvs = " and ".join(f"{_ms(row.measured.export)} ms" for row in rows)
    slowest = max(
        max(_median(row.measured.owner.total), _median(row.measured.export)) for row in rows
    )
    share = slowest / SLACK_DEADLINE
    fit = "comfortably inside" if share < 0.25 else "inside" if share < 1 else "beyond"
    blocks = max(row.measured.owner.blocks for row in rows)
    size = max(row.measured.owner.size for row in rows)
    return (
        f"**In short.** On {names}, the owner's Home takes a median {homes} to gather and build "
        f"({ratios} a plain member's), and the CSV export {csvs}. Both happen after the ack "
        f"(Bolt acks the `app_home_opened` event itself; the export's listener calls `ack()` "
        f"before it builds the file), so Slack's {SLACK_DEADLINE:g} s deadline does not bind "
        f"them, yet the slowest median is {share:.0%} of it: {fit} that budget. The owner's "
        f"view uses {blocks} of the {MAX_BLOCKS_PER_VIEW} blocks a Home tab may hold and "
        f"weighs {_kib(size)} KiB."
    )


def notes(rows: list[Row], skipped: list[str]) -> str:
    """What the Homes held, and the data."""
    lines = []
    for row in rows:
        m = row.measured
        lines.append(
            f"- **{row.database}**: the owner has {m.owner.answers:,} stored answers of their own "
            f"over {m.owner.rounds} rounds, the plain member {m.member.answers:,} over "
            f"{m.member.rounds}; the member's view has {m.member.blocks} blocks, "
            f"{_kib(m.member.size)} KiB."
        )
    if rows:
        tables = ", ".join(f"{name} {n:,}" for name, n in rows[0].generated.rows.most_common())
        lines.append(f"- **Rows inserted** (each database): {tables}.")
    return "\n\n".join([*skipped, "\n".join(lines)])


def section(
    rows: list[Row], shape: Shape, runs: int, skipped: list[str], mode: str, took: float
) -> str:
    """The Markdown this benchmark owns in the results file."""
    from bench.diagnosis import SEED

    return ABOUT.format(
        shape=shape,
        seed=SEED,
        runs=runs,
        warmup=WARMUP,
        max_blocks=MAX_BLOCKS_PER_VIEW,
        **machine(("SQLAlchemy", "psycopg", "slack_sdk")),
        mode=mode,
        took=took,
        summary=summary(rows),
        table=table(rows),
        setup=setup_table(rows),
        notes=notes(rows, skipped),
    )


# --- main ---------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the tables, and write the results section."""
    from bench.diagnosis import SLACK_TEAM_PREFIX, Shape, fresh_database
    from bot.sandbox.web_api import FakeSlack

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"200 members × 12 rounds, {QUICK_RUNS} runs: a check"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--postgres-url", help="a server to create the throwaway database on")
    args = parser.parse_args(argv)
    shape = Shape(1, 200, 12) if args.quick else Shape(1, 1000, 52)
    runs = QUICK_RUNS if args.quick else RUNS
    timeout = 300 if args.quick else 1800

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    began = time.monotonic()
    rows: list[Row] = []
    skipped: list[str] = []
    server_url = args.postgres_url or find_postgres()
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="atlas-bench-"))
        fake = stack.enter_context(FakeSlack(team_id=f"{SLACK_TEAM_PREFIX}00000"))
        for kind in ("SQLite", "PostgreSQL"):
            with fresh_database(kind, SCENARIO, tmp, server_url) as (url, note):
                if url is None:
                    skipped.append(f"PostgreSQL skipped: {note}.")
                    log(skipped[-1])
                    continue
                if kind == "PostgreSQL":
                    skipped.append(f"PostgreSQL: {note}, a fresh database dropped after the run.")
                rows.append(measure_on(kind, url, shape, runs, fake, timeout, log))
    mode = "quick" if args.quick else "full"
    body = section(rows, shape, runs, skipped, mode, time.monotonic() - began)
    print(table(rows))
    print(setup_table(rows))
    print(summary(rows), flush=True)
    write_section(args.out, SECTION, body)
    log(f"wrote {args.out} in {time.monotonic() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
