"""`run_demo`: start the app on the sandbox, run a scenario's weeks, try `/atlas`, write reports."""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bot.demo import report, scenarios
from bot.demo.scenarios import MAX_PEOPLE, MIN_PEOPLE, BadOption
from bot.demo.simulate import Clicks, Record, Simulation, WeekLog
from bot.sandbox import FakeSlack
from bot.sandbox.running import RunningApp

DEFAULT_START = date(2026, 4, 13)  # a Monday: the first simulated week
DEFAULT_OUT = Path("demo-output")
MAX_WEEKS = 52


@dataclass(frozen=True)
class DemoResult:
    """What a demo run showed, and where its transcript and report are."""

    scenario: str
    seed: int
    expected: tuple[str, ...]  # what the scenario is meant to show
    detected: tuple[str, ...]  # what the app's stored diagnosis detects from pulse signals
    transcript: Path
    report: Path
    record: Record
    seconds: float  # real time the run took

    @property
    def as_intended(self) -> bool:
        """The expected modes were detected; for a healthy scenario, nothing was."""
        return self.record.as_intended

    @property
    def ok(self) -> bool:
        """As intended, and every click was accepted and handled without a refusal."""
        clicks = self.record.clicks
        return self.as_intended and clicks.accepted == clicks.sent and not clicks.refused


def run_demo(
    *,
    scenario: str = "healthy",
    seed: int = 1,
    weeks: int = 8,
    people: int = 12,
    out: Path | str = DEFAULT_OUT,
    database_url: str | None = None,
    start: date = DEFAULT_START,
    echo: Callable[[str], None] = print,
) -> DemoResult:
    """Run one scenario end to end and write its transcript and HTML report into `out`.

    Raises `UnknownScenario` for a name the demo does not know, `BadOption` for weeks or people
    out of range, and `DemoError` when the app stops answering.
    """
    chosen = scenarios.scenario(scenario)
    if not 1 <= weeks <= MAX_WEEKS:
        raise BadOption(f"weeks must be between 1 and {MAX_WEEKS}")
    if not MIN_PEOPLE <= people <= MAX_PEOPLE:
        raise BadOption(
            f"people must be between {MIN_PEOPLE} and {MAX_PEOPLE} (the owner, the AI lead, the "
            "CEO and enough others for answers to reach the minimum group size)"
        )
    if start.weekday() != 0:
        raise BadOption("the first simulated week starts on a Monday")
    began = time.perf_counter()
    for chatter in ("alembic", "bot"):  # migration and app logs are not the demo's output
        logging.getLogger(chatter).setLevel(logging.WARNING)
    company = scenarios.cast(chosen, people, seed)
    echo(
        f"Adoption Atlas demo · {chosen.name}: {chosen.title}. {people} people, "
        f"{report.plural(weeks, 'week')} from {start:%a %-d %b %Y}, seed {seed}."
    )
    if weeks < chosen.min_weeks:
        echo(
            f"Note: {chosen.name} needs {chosen.min_weeks} weeks before the pulse can show it; "
            f"this run has {weeks}, so it shows what {weeks} weeks yield."
        )
    with tempfile.TemporaryDirectory(prefix="atlas-demo-") as scratch:
        url = database_url or f"sqlite:///{Path(scratch) / 'demo.db'}"
        with FakeSlack() as slack, RunningApp(slack=slack, database_url=url) as app:
            echo(
                f"The app runs in HTTP mode at {app.url} against a local Slack sandbox; every "
                "click below is a signed request to it."
            )
            sim = Simulation(
                scenario=chosen, cast=company, seed=seed, start=start, slack=slack, running=app
            )
            sim.setup()
            for number in range(1, weeks + 1):
                echo(progress(sim.week(number), weeks))
            sim.time.now += timedelta(days=1)  # the Saturday after the last round closed
            _try_commands(sim)
            sim.open_home(sim.cast.owner)
            sim.open_home(sim.cast.members[0])
            record = sim.finish()
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    transcript_path = out_dir / f"{chosen.name}-transcript.txt"
    report_path = out_dir / f"{chosen.name}-report.html"
    transcript_path.write_text(report.transcript(record), encoding="utf-8")
    report_path.write_text(report.html(record), encoding="utf-8")
    result = DemoResult(
        scenario=chosen.name,
        seed=seed,
        expected=chosen.expected,
        detected=record.detected,
        transcript=transcript_path.resolve(),
        report=report_path.resolve(),
        record=record,
        seconds=time.perf_counter() - began,
    )
    for line in summary(result):
        echo(line)
    return result


def progress(week: WeekLog, weeks: int) -> str:
    """One line per simulated week."""
    return (
        f"Week {week.number}/{weeks} · {week.local_date.isoformat()}: {week.asked} asked, "
        f"{week.answered} answered · detected: {', '.join(week.detected) or 'none'} · "
        f"alerts: {', '.join(week.alerts) or 'none'}"
    )


def _try_commands(sim: Simulation) -> None:
    """Type a few `/atlas` commands as the owner and a member would; the replies are recorded."""
    company = sim.cast
    member = company.members[0]
    mode = (sim.scenario.expected or ("2.2",))[0]
    for seat, text in (
        (member, "help"),
        (company.owner, "status"),
        (company.owner, mode),
        (member, "ceo"),
        (member, "2.8"),
        (member, "me"),
    ):
        sim.command(seat, text)


def summary(result: DemoResult) -> list[str]:
    """The closing lines: what the app found against what the scenario is about, and the files."""
    record = result.record
    found = ", ".join(result.detected) or "none"
    meant = ", ".join(result.expected) or "none"
    verdict = "as intended" if result.as_intended else "NOT as intended"
    clicks = record.clicks
    lines = [
        f"Detected from pulse signals: {found} (the scenario is meant to show: {meant}) — "
        f"{verdict}.",
        f"{clicks.sent} clicks sent as signed block_actions ({clicks.answers} pulse answers, "
        f"{clicks.office_hours} on office hours posts, {_owner_clicks(clicks)} by the owner on "
        f"alerts and check-ins) and {clicks.modals} modals submitted; {clicks.accepted} clicks "
        f"accepted, {len(clicks.refused)} refused; Slack pacing waited "
        f"{record.paced_seconds:.0f} s of virtual time.",
    ]
    lines += [
        f"  /atlas {text} (as {seat.name}, {seat.title}): HTTP {status}"
        for seat, text, status, _ in record.commands
    ]
    lines += [
        f"Transcript: {result.transcript}",
        f"Report:     {result.report}",
        f"Ran in {result.seconds:.1f} s.",
    ]
    return lines


def _owner_clicks(clicks: Clicks) -> int:
    """Clicks other than pulse answers and office hours: the owner's, on alerts and check-ins."""
    return clicks.sent - clicks.answers - clicks.office_hours
