"""The demo drives the real app over signed HTTP and shows what each scenario really yields.

Each run starts the app on the test's database (SQLite and PostgreSQL), so what is asserted
here is read back from what the app stored: its findings, and the answers its clicks produced.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from atlas import lookup
from bot.cli import main
from bot.demo import SCENARIOS, DemoResult, UnknownScenario, run_demo
from bot.storage.db import Database
from bot.storage.models import (
    Answer,
    ConfidentialResponse,
    Delivery,
    FindingRecord,
    OfficeHoursRsvp,
    Team,
    TeamSource,
    WorkflowRecord,
)

pytestmark = pytest.mark.heavy  # each test runs the simulated company for weeks

PROGRESS = re.compile(
    r"^Week (\d+)/(\d+) · (\d{4}-\d\d-\d\d): (\d+) asked, (\d+) answered · detected: (.+) · "
    r"alerts: (.+)$"
)


def _run(database_url: str | None, out: Path, **options: object) -> tuple[DemoResult, list[str]]:
    lines: list[str] = []
    result = run_demo(database_url=database_url, out=out, echo=lines.append, **options)
    return result, lines


def _stored_detections(database_url: str) -> set[str]:
    """Modes the app's stored findings hold as detected from pulse signals."""
    db = Database.from_url(database_url)
    try:
        with db.unit_of_work() as session:
            return {
                r.mode_id
                for r in session.scalars(select(FindingRecord))
                if r.status == "detected" and r.source == "signal"
            }
    finally:
        db.dispose()


def _stored_answers(database_url: str) -> tuple[int, int, int]:
    """(answers stored, confidential answers counted, pulse DMs sent) in the app's database."""
    db = Database.from_url(database_url)
    try:
        with db.unit_of_work() as session:
            return (
                session.scalar(select(func.count()).select_from(Answer)) or 0,
                session.scalar(select(func.count()).select_from(ConfidentialResponse)) or 0,
                session.scalar(
                    select(func.count()).select_from(Delivery).where(Delivery.status == "sent")
                )
                or 0,
            )
    finally:
        db.dispose()


def test_the_default_run_is_healthy_and_every_answer_came_from_a_signed_click(
    database_url: str, tmp_path: Path
) -> None:
    result, lines = _run(database_url, tmp_path / "out")  # 8 weeks, 12 people, healthy

    # Nothing is detected: not in the app's stored findings, not in the result, not in the report.
    assert _stored_detections(database_url) == set()
    assert result.scenario == "healthy" and result.detected == () and result.as_intended
    report = result.report.read_text(encoding="utf-8")
    assert "No failure mode is detected." in report
    assert "Detected from pulse signals: <b>none</b>" in report

    # One progress line per week, in order, with the app's own counts.
    weeks = [PROGRESS.match(line) for line in lines if line.startswith("Week ")]
    assert all(weeks) and [int(m.group(1)) for m in weeks] == list(range(1, 9))
    assert {m.group(2) for m in weeks} == {"8"}
    asked = [int(m.group(4)) for m in weeks]
    answered = [int(m.group(5)) for m in weeks]
    assert asked == [12] * 8
    assert all(7 <= n <= 12 for n in answered)  # never under the group size (5) plus two
    assert min(answered) < 12  # some people skip some weeks
    assert {m.group(6) for m in weeks} == {"none"} and {m.group(7) for m in weeks} == {"none"}
    dates = [m.group(3) for m in weeks]
    assert dates[0] == "2026-04-13" and dates[-1] == "2026-06-01"

    # Every answer the app stored is one a person clicked, through a signed request it accepted.
    clicks = result.record.clicks
    stored, confidential, dms = _stored_answers(database_url)
    assert clicks.sent == clicks.accepted and clicks.refused == []
    assert clicks.replies == clicks.accepted  # the app answered each on its response_url
    assert stored + confidential == clicks.answers > 8 * 7 * 3
    assert dms == sum(week.asked for week in result.record.weeks) == 8 * 12
    assert result.ok

    # The files: a transcript and a self-contained report with its charts embedded.
    assert result.transcript.parent == result.report.parent == (tmp_path / "out").resolve()
    assert report.count('<img src="data:image/png;base64,') == 3
    assert "<script" not in report and "http-equiv" not in report
    transcript = result.transcript.read_text(encoding="utf-8")
    assert "Week 8 of 8 · Mon 1 Jun 2026" in transcript
    assert "Q1 How often did you use AI tools for your work this week?" in transcript
    assert "weekly digest" in transcript and "Diagnosis: Brightline Logistics" in transcript
    assert "> /atlas status    (typed by Maya Chen, owner; HTTP 200)" in transcript
    assert f"Transcript: {result.transcript}" in lines and f"Report:     {result.report}" in lines

    # The whole product, not only the pulse: the owner set the team up in the setup modal, the
    # workflows came in through their modal, office hours went out and people clicked, and the
    # Home tabs and the weekly chart were there at the end.
    assert clicks.modals == 3  # the setup and two workflows, as signed view_submission requests
    db = Database.from_url(database_url)
    try:
        with db.unit_of_work() as session:
            team = session.scalars(select(Team)).one()
            assert (team.source_kind, team.source_id) == (TeamSource.CHANNEL, "C0BRIGHTLINE")
            assert team.office_hours_channel_id == "C0AIHELP"
            names = sorted(w.name for w in session.scalars(select(WorkflowRecord)))
            going = session.scalar(
                select(func.count()).select_from(OfficeHoursRsvp).where(OfficeHoursRsvp.going)
            )
            here = session.scalar(
                select(func.count())
                .select_from(OfficeHoursRsvp)
                .where(OfficeHoursRsvp.attended_at.is_not(None))
            )
    finally:
        db.dispose()
    assert names == ["Shipment exception emails", "Weekly customer report"]
    rsvps = sum(len(week.rsvps) for week in result.record.weeks)
    attended = sum(len(week.attended) for week in result.record.weeks)
    assert going == rsvps and here == attended and rsvps + attended == clicks.office_hours > 0
    assert "Maya Chen typed /atlas setup and submitted the setup modal" in transcript
    assert "office hours announced in #ai-help" in transcript
    assert "Brightline Logistics · owner view" in transcript  # the owner's Home tab
    assert "What the rollout owner can and cannot see" in transcript  # everyone's
    assert result.record.charts >= 1


SHORT_RUNS = {
    "only-ai-lead": {"weeks": 3, "people": 9},
    "ceo-no-ai": {"weeks": 3, "people": 9},
    "knowledge-in-one-head": {"weeks": 2, "people": 9},
    "leakage": {"weeks": 5, "people": 9},  # the confidential question is asked in week 5
}


@pytest.mark.parametrize("name", sorted(SHORT_RUNS))
def test_each_scenario_makes_the_app_detect_its_failure_mode_and_no_other(
    name: str, database_url: str, tmp_path: Path
) -> None:
    expected = SCENARIOS[name].expected
    assert len(expected) == 1
    mode = lookup.get(expected[0])
    assert mode is not None

    result, lines = _run(database_url, tmp_path, scenario=name, **SHORT_RUNS[name])

    assert _stored_detections(database_url) == {mode.id}
    assert result.detected == (mode.id,) and result.ok
    assert f"Detected from pulse signals: {mode.id} " in "\n".join(lines)
    # The owner was alerted in a DM the app sent, with the evidence and the first move.
    transcript = result.transcript.read_text(encoding="utf-8")
    assert f"· alert\n      {mode.id} · {mode.title}" in transcript
    assert f"failure mode {mode.id} detected" in transcript
    assert mode.first_move in transcript
    # The report has the finding, its evidence and its first move.
    report = result.report.read_text(encoding="utf-8")
    assert f"{mode.id} · {mode.title} — detected" in report.replace("&#x27;", "'")
    assert "First move:" in report
    assert report.count('<img src="data:image/png;base64,') == 3
    # And only clicks got answers in.
    clicks = result.record.clicks
    stored, confidential, _ = _stored_answers(database_url)
    assert stored + confidential == clicks.answers and clicks.replies == clicks.accepted


@pytest.mark.postgres
def test_the_same_seed_gives_the_same_transcript_whatever_the_database(
    postgres_databases: Any, tmp_path: Path
) -> None:
    # One run on PostgreSQL, one on the embedded SQLite default, one with another seed.
    options = {"scenario": "only-ai-lead", "weeks": 2, "people": 8, "seed": 5}
    first, _ = _run(postgres_databases.create(), tmp_path / "a", **options)
    again, _ = _run(None, tmp_path / "b", **options)  # a temporary SQLite database
    other, _ = _run(None, tmp_path / "c", **{**options, "seed": 6})
    assert again.record.clicks.answers > 0

    text = first.transcript.read_text(encoding="utf-8")
    assert text == again.transcript.read_text(encoding="utf-8")
    assert text != other.transcript.read_text(encoding="utf-8")
    assert "Seed 5 · 8 people · 2 weeks" in text
    assert str(tmp_path) not in text and "127.0.0.1" not in text


def test_an_unknown_scenario_is_refused_with_the_valid_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(UnknownScenario) as refused:
        run_demo(scenario="chaos", out=tmp_path, echo=lambda line: None)
    assert all(name in str(refused.value) for name in SCENARIOS)

    assert main(["demo", "--scenario", "chaos", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "unknown scenario 'chaos'" in err
    assert "healthy, only-ai-lead, ceo-no-ai, knowledge-in-one-head, leakage" in err
    assert main(["demo", "--people", "3", "--out", str(tmp_path)]) == 2
    assert "people must be between" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing ran, nothing was written
