"""The diagnosis on a year of pulse data: one big team, and the nightly run over many teams.

The data is bulk-inserted into a migrated database (a temporary SQLite file, a throwaway
PostgreSQL database) in this process; each scenario is then measured in its own spawned process,
so its peak memory is its own. Run from the repository root:
`python -m bench.diagnosis [--quick] [--out bench/RESULTS.md] [--postgres-url URL]`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from math import ceil
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, insert, text

from atlas.diagnosis.engine import diagnose
from atlas.questions import DEFAULT_TOOLS, Question, pulse_questions, question, rotating_for_round
from bench import _report
from bench._report import (
    ROOT,
    find_postgres,
    machine,
    peak_mib,
    postgres_database,
    write_section,
)
from bot.app import make_web_client
from bot.outbound import Caller
from bot.services import diagnosis
from bot.services import snapshot as snapshots
from bot.settings import load_settings
from bot.storage import models as m
from bot.storage import teams as team_repo
from bot.storage.db import Database
from bot.storage.models import DeliveryStatus, Role, RoundStatus

if TYPE_CHECKING:
    from bot.sandbox.web_api import FakeSlack

# The parent's own tools (the migrations, FakeSlack) are imported where they are used: every
# measuring process re-imports this module, and its memory should be the diagnosis's alone.

SECTION = "diagnosis"
TOKEN = "xoxb-bench-diagnosis"
SLACK_TEAM_PREFIX = "T0BENCH"
TEAMS_PER_WORKSPACE = 5
ALERT_RATE = 1000.0  # chat.postMessage a second: pacing lifted, so times are the app's own
PRODUCTION_RATE = 4.0  # bot.outbound.DEFAULT_RATES["chat.postMessage"], burst 4
TEAM_REPEATS = 5
NIGHTLY_REPEATS = 3
CHUNK = 2000  # deliveries generated before they and their answers are inserted
ROWS_PER_EXECUTE = 10_000
SEED = 20261125
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # a Friday: the last round closed at 10:00

T = TypeVar("T")

ABOUT = """\
## Diagnosis: one big team, and a run over {teams:,} teams

**What is measured.** `bot.services.diagnosis` end to end, on a migrated database holding closed
weekly pulse rounds. A run records itself, builds the team's snapshot from the database
(`snapshot.build`), applies every rule (`diagnose`), stores the findings (and a recovery window
when one opens), DMs the owner what changed, and records its end. Every run uses the same `now`,
the Friday after the last round closed.

- **One big team** (`run_team`, what the scheduler's tick calls when a team's round closes):
  {big.members:,} members (an owner, an AI lead, an executive sponsor, the rest plain members)
  and {big.rounds} closed weekly rounds. `run_team` {repeats} times: *first run s* is run 1, which
  stores every finding for the first time and sends the alerts; *median s* is the median of runs
  2–{repeats}, which find the same and send nothing new. *snapshot ms* and *rules ms* are the
  medians of {repeats} `snapshot.build(session, team, now)` (in its own transaction) and of
  {repeats} `diagnose(snapshot)`, taken before the runs (so run 1 is not the process's first
  query).
- **Every team** (`run_all`, what `atlas-bot diagnose --all` runs; a nightly pass):
  {small.teams:,} teams of {small.members} members with {small.rounds} closed rounds each,
  {teams_per_workspace} teams a workspace. `run_all` {nightly_repeats} times, each a full pass
  over every team: *first run s* is run 1 (all the alerts), *median s* the median of the
  {nightly_repeats}, *per team ms* that median ÷ {small.teams:,}. Here *snapshot ms* and *rules
  ms* are per-team medians over one more pass of `snapshot.build` + `diagnose` over every team.
- **Slack**: a `FakeSlack` over 127.0.0.1 in the parent process, reached through the app's own
  `Caller(make_web_client(settings, token, retries=False), …)`. *owner DMs* are the notices each
  run sent (alerts, cleared notes, recovery windows). The `Caller`'s `chat.postMessage` pacing is
  lifted to {alert_rate:,.0f} a second so the times are the app's own work; at the production
  pace ({production_rate:g} a second, burst {production_burst}) N DMs add about
  (N − {production_burst}) ÷ {production_rate:g} s of waiting (see the notes).
- **Memory**: *peak MiB* is the peak resident memory (`VmHWM`) of the spawned process that
  measures one database and scenario, interpreter and imports included; after its imports it
  stood at {start_mib} MiB. The data is generated in the parent and counts in neither the times
  nor the memory.
- **Data** (seed {seed}), bulk-inserted with SQLAlchemy Core `insert()` and lists of dicts, in
  batches of {chunk:,} deliveries and their answers; *rows* counts every row inserted. Each round
  every member has a delivery, status `sent`; each member answers with their own likelihood
  (drawn from 45–95 %, about 70 % overall), and a responder's delivery has `responded_at` and
  answers: `ai_frequency` (none/few/several/daily, use rising over the rounds), `time_saved`,
  `ai_tools` (1–2 of the team's 4 tools, when they use AI at all), `go_to_person` (half of them;
  mostly the AI lead or one of three champions) and, 9 times in 10, the round's rotating question
  (`atlas.questions.pulse_questions(number)`; `first_heard` once per person;
  `confidential_paste` as `ConfidentialResponse` rows and per-option `ConfidentialTally` counts,
  never `Answer` rows). PostgreSQL gets an `ANALYZE` after the load, standing in for autovacuum;
  SQLite gets none, as in production.

**Machine.** nproc {nproc}, Python {python}, {versions}; load average at the end {load}; {date};
mode: {mode}; the whole run took {took:.0f} s. The machine is shared and noisy: a few percent
either way is noise.

**Reproduce.** `make bench` (runs `python -m bench.diagnosis` after `bench.pulse_fanout`), or
from the repository root: `.venv/bin/python -m bench.diagnosis [--quick] [--out bench/RESULTS.md]
[--postgres-url URL]`.

{table}

{notes}"""

ROLES = (Role.OWNER, Role.AI_LEAD, Role.EXECUTIVE_SPONSOR)  # the first members; then MEMBER
TOOL_KEYS = tuple(key for key, _ in DEFAULT_TOOLS)
FREQUENCIES = ("none", "few", "several", "daily")
TIME_SAVED = ("no", "under_30m", "30m_2h", "over_2h")
CONFIDENTIAL_WEIGHTS = {"no": 75, "unsure": 18, "yes": 7}


@dataclass(frozen=True)
class Shape:
    """How much data a scenario holds."""

    teams: int
    members: int
    rounds: int


@dataclass(frozen=True)
class Generated:
    """What was inserted for one scenario, and how long it took."""

    team_ids: list[int]
    rows: Counter[str]
    seconds: float


@dataclass(frozen=True)
class Job:
    """What a measuring process is asked to do."""

    scenario: str  # "team" or "nightly"
    database_url: str
    api_url: str
    team_ids: list[int]


@dataclass(frozen=True)
class Measured:
    """What a measuring process found; times in seconds."""

    runs: list[float]
    slack: list[float]  # of each run, the time spent in Caller.call (on the fake Slack)
    dms: list[int]  # owner DMs each run sent: alerts, cleared notes, recovery notices
    detected: int  # modes detected over all teams in run 1
    snapshot: list[float]
    rules: list[float]
    start_mib: float
    peak_mib: float


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    database: str
    scenario: str
    shape: Shape
    generated: Generated
    measured: Measured
    posted: int  # chat.postMessage calls the fake received, over all runs

    @property
    def median(self) -> float:
        """Median of the runs that count: runs 2–5 for one team, all 3 for the nightly run."""
        runs = self.measured.runs
        return statistics.median(runs[1:] if self.scenario == "team" else runs)


# --- generating the data ------------------------------------------------------------------------
class Writer:
    """Bulk inserts through SQLAlchemy Core, one transaction a call, counting rows per table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.rows: Counter[str] = Counter()

    def insert(self, model: Any, rows: list[dict[str, Any]], *, ids: bool = False) -> list[int]:
        """Insert `rows` in chunks; with `ids`, return the new primary keys in row order."""
        table = model.__table__
        statement = insert(table)
        if ids:
            statement = statement.returning(table.c.id, sort_by_parameter_order=True)
        new_ids: list[int] = []
        with self.engine.begin() as connection:
            for start in range(0, len(rows), ROWS_PER_EXECUTE):
                result = connection.execute(statement, rows[start : start + ROWS_PER_EXECUTE])
                if ids:
                    new_ids += result.scalars().all()
        self.rows[table.name] += len(rows)
        return new_ids


@dataclass
class Person:
    """A member as the generator sees them."""

    member_id: int
    user_id: str
    likelihood: float  # of answering a round
    heard: bool = False  # answered first_heard (asked once per person)


@dataclass
class Pending:
    """Deliveries waiting for their insert, with the answers that follow them."""

    deliveries: list[dict[str, Any]] = field(default_factory=list)
    answers: list[list[tuple[str, list[str]]]] = field(default_factory=list)
    confidential: list[bool] = field(default_factory=list)


def populate(database_url: str, shape: Shape, slack_prefix: str) -> Generated:
    """Migrate the database and fill it with `shape`'s teams, members, rounds and answers."""
    from bot.storage.migrations import upgrade

    db = Database.from_url(database_url)
    try:
        upgrade(db.engine)
        began = time.perf_counter()
        writer = Writer(db.engine)
        rng = random.Random(SEED)
        first_round = NOW.date() - timedelta(days=NOW.weekday() + 7 * (shape.rounds - 1))
        workspaces = ceil(shape.teams / TEAMS_PER_WORKSPACE)
        workspace_ids = writer.insert(
            m.Workspace,
            [
                {"slack_team_id": f"{slack_prefix}{w:05d}", "name": f"Bench {w}", "active": True}
                for w in range(workspaces)
            ],
            ids=True,
        )
        owners = [_user_id(t, 0) for t in range(shape.teams)]
        team_rows = [
            {
                "workspace_id": workspace_ids[t // TEAMS_PER_WORKSPACE],
                "name": f"Team {t}",
                "rollout_start": first_round - timedelta(days=14),
                "timezone": "UTC",
                "pulse_enabled": True,
                "configured_by": owners[t],
            }
            for t in range(shape.teams)
        ]
        team_ids = writer.insert(m.Team, team_rows, ids=True)
        writer.insert(
            m.TeamTool,
            [
                {"team_id": team_id, "key": key, "label": label, "position": position}
                for team_id in team_ids
                for position, (key, label) in enumerate(DEFAULT_TOOLS)
            ],
        )
        joined = datetime.combine(first_round, datetime.min.time(), UTC) - timedelta(days=30)
        member_rows = [
            {
                "workspace_id": team_rows[t]["workspace_id"],
                "team_id": team_id,
                "slack_user_id": _user_id(t, i),
                "timezone": "UTC",
                "role": ROLES[i] if i < len(ROLES) else Role.MEMBER,
                "active": True,
                "joined_at": joined,
                "profile_synced_at": joined,
            }
            for t, team_id in enumerate(team_ids)
            for i in range(shape.members)
        ]
        member_ids = writer.insert(m.Member, member_rows, ids=True)
        round_rows = [
            _round_row(team_rows[t]["workspace_id"], team_id, first_round, number)
            for t, team_id in enumerate(team_ids)
            for number in range(shape.rounds)
        ]
        round_ids = writer.insert(m.PulseRound, round_rows, ids=True)
        tallies: list[dict[str, Any]] = []
        pending = Pending()
        for t in range(shape.teams):
            people = [
                Person(member_ids[t * shape.members + i], _user_id(t, i), rng.uniform(0.45, 0.95))
                for i in range(shape.members)
            ]
            helpers = _helpers(rng, people)
            for number in range(shape.rounds):
                index = t * shape.rounds + number
                confidential = _round(
                    rng, pending, people, helpers, round_rows[index], round_ids[index], shape
                )
                tallies += [
                    {
                        "round_id": round_ids[index],
                        "question_id": "confidential_paste",
                        "question_version": 1,
                        "option_key": option,
                        "count": n,
                    }
                    for option, n in sorted(confidential.items())
                ]
                if len(pending.deliveries) >= CHUNK:
                    _flush(writer, pending)
                    pending = Pending()
        _flush(writer, pending)
        writer.insert(m.ConfidentialTally, tallies)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
        return Generated(team_ids, writer.rows, time.perf_counter() - began)
    finally:
        db.dispose()


def _user_id(team: int, index: int) -> str:
    return f"U{team:05d}{index:05d}"


def _round_row(workspace_id: int, team_id: int, first: date, number: int) -> dict[str, Any]:
    """A closed weekly round: the `number`-th Monday from `first`, closed four days on."""
    local_date = first + timedelta(weeks=number)
    due = datetime.combine(local_date, datetime.min.time(), UTC) + timedelta(hours=10)
    closes = due + timedelta(days=4)
    return {
        "workspace_id": workspace_id,
        "team_id": team_id,
        "local_date": local_date,
        "number": number,
        "status": RoundStatus.CLOSED,
        "rotating_question_id": rotating_for_round(number),
        "disabled_questions": [],
        "due_at": due,
        "closes_at": closes,
        "created_at": due - timedelta(days=1),
        "closed_at": closes,
        "owner_notified_at": closes,
    }


def _helpers(rng: random.Random, people: list[Person]) -> list[str]:
    """Whom `go_to_person` names: mostly the AI lead, then three champions, then anyone."""
    ai_lead = people[min(1, len(people) - 1)].user_id
    champions = [p.user_id for p in rng.sample(people, min(3, len(people)))]
    return [ai_lead] * 9 + champions * 2 + [p.user_id for p in rng.sample(people, 1)]


def _round(
    rng: random.Random,
    pending: Pending,
    people: list[Person],
    helpers: list[str],
    round_row: dict[str, Any],
    round_id: int,
    shape: Shape,
) -> Counter[str]:
    """Queue one round's deliveries and answers; returns its confidential_paste tally."""
    number, due = round_row["number"], round_row["due_at"]
    progress = number / max(1, shape.rounds - 1)
    tally: Counter[str] = Counter()
    for person in people:
        asked = pulse_questions(
            number, already_answered_once=frozenset({"first_heard"} if person.heard else ())
        )
        sent = due + timedelta(seconds=rng.randint(0, 900))
        responded = rng.random() < person.likelihood
        answers: list[tuple[str, list[str]]] = []
        confidential = False
        if responded:
            answers = _answers(rng, progress, helpers, person)
            rotating: Question | None = next((q for q in asked if q.rotating), None)
            if rotating is not None and rng.random() < 0.9:
                if rotating.confidential:
                    confidential = True
                    keys, weights = zip(*CONFIDENTIAL_WEIGHTS.items(), strict=True)
                    tally[rng.choices(keys, weights)[0]] += 1
                else:
                    answers.append((rotating.id, [rng.choice(rotating.options).key]))
                    person.heard = person.heard or rotating.id == "first_heard"
        pending.deliveries.append(
            {
                "workspace_id": round_row["workspace_id"],
                "round_id": round_id,
                "member_id": person.member_id,
                "status": DeliveryStatus.SENT,
                "question_ids": [q.id for q in asked],
                "due_at": due,
                "claimed_at": sent,
                "claimed_by": "bench",
                "attempts": 1,
                "channel_id": "D" + person.user_id[1:],
                "message_ts": f"{sent.timestamp():.6f}",
                "sent_at": sent,
                "responded_at": sent + timedelta(hours=rng.uniform(0.1, 72)) if responded else None,
            }
        )
        pending.answers.append(answers)
        pending.confidential.append(confidential)
    return tally


def _answers(
    rng: random.Random, progress: float, helpers: list[str], person: Person
) -> list[tuple[str, list[str]]]:
    """A responder's answers to the core questions; use rises as the rounds go by."""
    weights = (35 - 20 * progress, 30 - 5 * progress, 20 + 10 * progress, 15 + 15 * progress)
    frequency = rng.choices(FREQUENCIES, weights)[0]
    answers = [("ai_frequency", [frequency])]
    if frequency == "none":
        answers.append(("time_saved", ["no"]))
    else:
        answers.append(("ai_tools", rng.sample(TOOL_KEYS, rng.choice((1, 1, 2)))))
        answers.append(("time_saved", [rng.choices(TIME_SAVED, (3, 4, 3, 1))[0]]))
    if rng.random() < 0.5:
        named = rng.choice(helpers)
        if named != person.user_id:
            answers.append(("go_to_person", [named]))
    return answers


def _flush(writer: Writer, pending: Pending) -> None:
    """Insert the pending deliveries, then their answers and confidential responses."""
    if not pending.deliveries:
        return
    ids = writer.insert(m.Delivery, pending.deliveries, ids=True)
    answers, responses = [], []
    for delivery_id, row, chosen, confidential in zip(
        ids, pending.deliveries, pending.answers, pending.confidential, strict=True
    ):
        at = row["responded_at"]
        answers += [
            {
                "delivery_id": delivery_id,
                "question_id": question_id,
                "question_version": question(question_id).version,
                "value": value,
                "answered_at": at,
                "updated_at": at,
            }
            for question_id, value in chosen
        ]
        if confidential:
            responses.append({"delivery_id": delivery_id, "question_id": "confidential_paste"})
    writer.insert(m.Answer, answers)
    if responses:
        writer.insert(m.ConfidentialResponse, responses)


# --- measuring (in a child process) -------------------------------------------------------------
def timed(function: Callable[[], T]) -> tuple[float, T]:
    """Seconds `function` took, and what it returned."""
    began = time.perf_counter()
    result = function()
    return time.perf_counter() - began, result


def alert_caller(api_url: str, database_url: str) -> Caller:
    """The app's own `Caller` on the fake Slack at `api_url`, its `chat.postMessage` pacing
    lifted to ALERT_RATE."""
    settings = load_settings(
        _env_file=None,
        slack_bot_token=TOKEN,
        slack_api_url=api_url,
        database_url=database_url,
    )
    return Caller(
        make_web_client(settings, TOKEN, retries=False), rates={"chat.postMessage": ALERT_RATE}
    )


def measure(job: Job) -> Measured:
    """Open the app's database and Caller, then time the diagnosis as `job.scenario` asks."""
    caller = alert_caller(job.api_url, job.database_url)
    slack_wait = [0.0]
    call = caller.call

    def waited_call(method: str, **params: Any) -> Any:
        began = time.perf_counter()
        try:
            return call(method, **params)
        finally:
            slack_wait[0] += time.perf_counter() - began

    caller.call = waited_call  # type: ignore[method-assign]  # time spent on Slack, per run
    db = Database.from_url(job.database_url)
    start_mib = peak_mib()
    snapshot_times: list[float] = []
    rules_times: list[float] = []
    runs: list[float] = []
    slack: list[float] = []
    results: list[list[Any]] = []

    def snapshot_and_rules(team_id: int) -> None:
        with db.unit_of_work() as session:
            team = team_repo.get(session=session, team_id=team_id)
            seconds, snapshot = timed(lambda: snapshots.build(session, team, NOW))
        snapshot_times.append(seconds)
        rules_times.append(timed(lambda: diagnose(snapshot))[0])

    def run(diagnose_all: Callable[[], list[Any]]) -> None:
        slack_wait[0] = 0.0
        seconds, found = timed(diagnose_all)
        failed = [r for r in found if not r.ok]
        if failed:
            first = failed[0]
            raise RuntimeError(f"{len(failed)} run(s) failed, e.g. {first.team_id}: {first.error}")
        if len(found) != len(job.team_ids):
            raise RuntimeError(f"{len(found)} of {len(job.team_ids)} teams were diagnosed")
        runs.append(seconds)
        slack.append(slack_wait[0])
        results.append(found)

    try:
        if job.scenario == "team":
            (team_id,) = job.team_ids
            for _ in range(TEAM_REPEATS):
                snapshot_and_rules(team_id)
            for _ in range(TEAM_REPEATS):
                run(
                    lambda: [
                        diagnosis.run_team(
                            db=db, team_id=team_id, caller=caller, now=NOW, trigger="manual"
                        )
                    ]
                )
        else:
            for _ in range(NIGHTLY_REPEATS):
                run(lambda: diagnosis.run_all(db=db, caller=caller, now=NOW, trigger="manual"))
            for team_id in job.team_ids:
                snapshot_and_rules(team_id)
    finally:
        db.dispose()
    return Measured(
        runs=runs,
        slack=slack,
        dms=[sum(r.alerts for r in found) for found in results],
        detected=sum(len(r.detected) for r in results[0]),
        snapshot=snapshot_times,
        rules=rules_times,
        start_mib=start_mib,
        peak_mib=peak_mib(),
    )


def run_in_child(job: Job, timeout: float) -> Measured:
    """Measure `job` in a spawned process; past `timeout` it is killed and this raises."""
    return _report.run_in_child(measure, (job,), label=job.scenario, timeout=timeout)


# --- reporting ----------------------------------------------------------------------------------
def scenario_label(scenario: str, shape: Shape) -> str:
    """The scenario column: what ran, over what."""
    if scenario == "team":
        return f"`run_team`, 1 team × {shape.members:,} members × {shape.rounds} rounds"
    return f"`run_all`, {shape.teams:,} teams × {shape.members} members × {shape.rounds} rounds"


def table(rows: list[Row]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| database | scenario | rows | median s | first run s | per team ms | snapshot ms "
        "| rules ms | owner DMs, run 1 / later | peak MiB |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        m = row.measured
        later = "/".join(str(n) for n in m.dms[1:])
        per_team = "—" if row.scenario == "team" else f"{1000 * row.median / row.shape.teams:.1f}"
        lines.append(
            f"| {row.database} | {scenario_label(row.scenario, row.shape)} "
            f"| {row.generated.rows.total():,} | {row.median:.2f} | {m.runs[0]:.2f} "
            f"| {per_team} "
            f"| {1000 * statistics.median(m.snapshot):.1f} "
            f"| {1000 * statistics.median(m.rules):.1f} | {m.dms[0]} / {later} "
            f"| {m.peak_mib:.0f} |"
        )
    return "\n".join(lines)


def row_notes(row: Row) -> str:
    """What one row's runs did, where their time went, and what generating the data took."""
    m, shape = row.measured, row.shape
    snapshot, rules = statistics.median(m.snapshot), statistics.median(m.rules)
    per_team = row.median / shape.teams
    rest = max(0.0, per_team - snapshot - rules)
    runs = " / ".join(f"{s:.2f}" for s in m.runs)
    pacing = max(0, m.dms[0] - PRODUCTION_RATE) / PRODUCTION_RATE
    pacing_s = f"{pacing:,.0f}" if pacing >= 10 else f"{pacing:.1f}"
    tables = ", ".join(f"{name} {n:,}" for name, n in row.generated.rows.most_common())
    return (
        f"- **{row.database}, {scenario_label(row.scenario, shape)}**: runs {runs} s. Run 1 "
        f"detected {m.detected:,} modes and sent {m.dms[0]:,} owner DMs ({row.posted:,} reached "
        f"the fake over all runs), {m.slack[0]:.2f} s of it spent in `Caller.call`; at the "
        f"production pace they would take ≈ {pacing_s} s more. Per team, of a "
        f"{1000 * per_team:.1f} ms median run: snapshot {1000 * snapshot:.1f} ms "
        f"({snapshot / per_team:.0%}), rules {1000 * rules:.1f} ms ({rules / per_team:.0%}), the "
        f"rest (run records, findings, their transactions) ≈ {1000 * rest:.1f} ms. Generating "
        f"the data took {row.generated.seconds:.1f} s: {tables}."
    )


def section(
    rows: list[Row], shapes: dict[str, Shape], notes: list[str], mode: str, took: float
) -> str:
    """The Markdown this benchmark owns in the results file."""
    start = ", ".join(f"{r.database} {r.scenario} {r.measured.start_mib:.0f}" for r in rows)
    return ABOUT.format(
        teams=shapes["nightly"].teams,
        big=shapes["team"],
        small=shapes["nightly"],
        repeats=TEAM_REPEATS,
        nightly_repeats=NIGHTLY_REPEATS,
        teams_per_workspace=TEAMS_PER_WORKSPACE,
        alert_rate=ALERT_RATE,
        production_rate=PRODUCTION_RATE,
        production_burst=int(PRODUCTION_RATE),
        start_mib=start or "—",
        seed=SEED,
        chunk=CHUNK,
        **machine(("SQLAlchemy", "psycopg", "slack_sdk")),
        mode=mode,
        took=took,
        table=table(rows),
        notes="\n\n".join(notes),
    )


# --- main ---------------------------------------------------------------------------------------
@contextmanager
def fresh_database(
    kind: str, scenario: str, tmp: str, server_url: str | None
) -> Iterator[tuple[str | None, str]]:
    """A new empty database for one scenario, (None, why) if there is none; dropped after."""
    if kind == "SQLite":
        path = Path(tmp) / f"{scenario}.db"
        try:
            yield f"sqlite:///{path}", "a temporary file"
        finally:
            for leftover in Path(tmp).glob(f"{scenario}.db*"):
                leftover.unlink()
        return
    with postgres_database(server_url) as found:
        yield found


def measure_on(
    kind: str,
    scenario: str,
    shape: Shape,
    url: str,
    fake: FakeSlack,
    timeout: float,
    log: Callable[[str], None],
) -> Row:
    """Fill a fresh database with `shape`, then measure `scenario` on it in a child process."""
    log(f"{kind}, {scenario}: generating {shape}…")
    generated = populate(url, shape, SLACK_TEAM_PREFIX)
    log(f"  {generated.rows.total():,} rows in {generated.seconds:.1f} s; measuring…")
    fake.reset()
    measured = run_in_child(Job(scenario, url, fake.api_url, generated.team_ids), timeout)
    log(
        f"  runs {' / '.join(f'{s:.2f}' for s in measured.runs)} s, DMs {measured.dms}, "
        f"peak {measured.peak_mib:.0f} MiB"
    )
    posted = len(fake.calls_to("chat.postMessage"))
    return Row(kind, scenario, shape, generated, measured, posted)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table, and write the results section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="200 members × 12 rounds; 50 teams: a check"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--postgres-url", help="a server to create the throwaway databases on")
    args = parser.parse_args(argv)
    shapes = {
        "team": Shape(1, 200, 12) if args.quick else Shape(1, 1000, 52),
        "nightly": Shape(50, 12, 12) if args.quick else Shape(500, 12, 12),
    }
    timeout = 300 if args.quick else 3600

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    from bot.sandbox.web_api import FakeSlack

    began = time.monotonic()
    notes: list[str] = []
    rows: list[Row] = []
    server_url = args.postgres_url or find_postgres()
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="atlas-bench-"))
        fake = stack.enter_context(FakeSlack(team_id=f"{SLACK_TEAM_PREFIX}00000"))
        for kind in ("SQLite", "PostgreSQL"):
            for scenario, shape in shapes.items():
                with fresh_database(kind, scenario, tmp, server_url) as (url, note):
                    if url is None:
                        notes.append(f"PostgreSQL rows skipped: {note}.")
                        log(notes[-1])
                        break
                    if kind == "PostgreSQL" and scenario == "team":
                        notes.append(f"PostgreSQL: {note}; a fresh database per scenario.")
                    rows.append(measure_on(kind, scenario, shape, url, fake, timeout, log))
    notes.append(
        "Per row (*per team* is the median run ÷ teams; the snapshot and rules shares are of "
        "that):\n\n" + "\n".join(row_notes(row) for row in rows)
    )
    mode = "quick" if args.quick else "full"
    body = section(rows, shapes, notes, mode, time.monotonic() - began)
    print(table(rows))
    print("\n\n".join(notes), flush=True)
    write_section(args.out, SECTION, body)
    log(f"wrote {args.out} in {time.monotonic() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
