"""`atlas-bot team …`: scripted installs with the modal's checks."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import time
from pathlib import Path

import pytest
from freezegun import freeze_time

from bot.cli import main
from bot.sandbox import FakeSlack
from bot.sandbox.running import RunningApp
from bot.storage.db import Database
from bot.storage.models import Member, Role, Team, TeamHoliday, TeamQuestionSetting
from tests.rounds import two_weeks
from tests.services.conftest import Env

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.setenv(name, "")

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(["team", *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _team(database_url: str, name: str = "Marketing") -> Team:
    db = Database.from_url(database_url)
    try:
        with db.unit_of_work() as session:
            team = session.query(Team).filter_by(name=name).one()
            session.expunge(team)
            return team
    finally:
        db.dispose()


def _roles(database_url: str, team_id: int) -> dict[str, Role]:
    db = Database.from_url(database_url)
    try:
        with db.unit_of_work() as session:
            rows = session.query(Member).filter_by(team_id=team_id, active=True)
            return {m.slack_user_id: m.role for m in rows}
    finally:
        db.dispose()


CREATE = (
    "create",
    "Marketing",
    "--workspace",
    "T0ACME",
    "--channel",
    "C0MKT",
    "--owner",
    "U0OWNER",
    "--ai-lead",
    "U0LEAD",
    "--sponsor",
    "U0CEO",
    "--rollout-start",
    "2026-10-01",
    "--timezone",
    "Europe/Berlin",
    "--pulse-day",
    "tue",
    "--pulse-time",
    "9:30",
    "--min-group-size",
    "4",
    "--tools",
    "ChatGPT, Claude",
    "--office-hours-channel",
    "C0HELP",
    "--office-hours-day",
    "thursday",
    "--office-hours-time",
    "16:00",
)


def test_every_setting_is_made_from_the_command_line_and_shown_back(
    cli: Run, database_url: str
) -> None:
    code, out, err = cli(*CREATE)
    assert code == 0, err
    assert "team 1 created: Marketing" in out or "created: Marketing" in out
    team = _team(database_url)
    assert (team.source_id, team.timezone, team.pulse_weekday) == ("C0MKT", "Europe/Berlin", 1)
    assert (team.pulse_time, team.min_group_size) == (time(9, 30), 4)
    assert (team.office_hours_channel_id, team.office_hours_weekday) == ("C0HELP", 3)
    assert _roles(database_url, team.id) == {
        "U0OWNER": Role.OWNER,
        "U0LEAD": Role.AI_LEAD,
        "U0CEO": Role.EXECUTIVE_SPONSOR,
    }
    code, out, _ = cli("show", "marketing")
    assert code == 0
    shown = {
        line.split("  ")[1].strip(): line for line in out.splitlines() if line.startswith("  ")
    }
    assert "tuesday" in shown["Pulse day"] and "09:30" in shown["Pulse time"]
    assert "ChatGPT, Claude" in shown["AI tools"] and "--tools" in shown["AI tools"]
    assert "C0HELP" in shown["Office hours channel"]

    code, out, err = cli("set", str(team.id), "--check-in", "off", "--sponsor", "-")
    assert code == 0, err
    assert not _team(database_url).check_in_enabled
    assert "U0CEO" in _roles(database_url, team.id)  # still a member, no longer the sponsor
    assert _roles(database_url, team.id)["U0CEO"] is Role.MEMBER


def test_refused_values_name_their_flag_and_save_nothing(cli: Run, database_url: str) -> None:
    code, _, err = cli(
        "create",
        "Marketing",
        "--workspace",
        "T0ACME",
        "--timezone",
        "Mars/Olympus",
        "--min-group-size",
        "2",
        "--pulse-time",
        "25:00",
        "--owner",
        "bob",
    )
    assert code == 2
    for flag in ("--timezone", "--min-group-size", "--pulse-time", "--owner"):
        assert f"atlas-bot team: {flag}:" in err
    assert "Nothing was saved." in err
    code, out, _ = cli("list")
    assert "No teams yet" in out
    # Checks across fields and against what is stored speak up too.
    assert cli(*CREATE)[0] == 0
    code, _, err = cli("set", "Marketing", "--ai-lead", "U0OWNER")
    assert code == 2 and "--ai-lead" in err and "rollout owner" in err
    code, _, err = cli(*CREATE)
    assert code == 2 and "already a team called Marketing" in err
    code, _, err = cli("show", "Sales")
    assert code == 2 and "no team 'Sales'" in err and "Marketing" in err
    code, _, err = cli("set", "Marketing")
    assert code == 2 and "nothing to change" in err


def test_members_holidays_and_questions(cli: Run, database_url: str) -> None:
    assert cli("create", "Ops", "--workspace", "T0ACME", "--owner", "U0OWNER")[0] == 0
    team = _team(database_url, "Ops")
    code, out, _ = cli("add-member", "Ops", "U0ANA", "U0BEN")
    assert code == 0 and "2 added" in out
    assert cli("add-member", "Ops", "U0ANA", "nobody")[0] == 2
    assert cli("remove-member", "Ops", "U0BEN")[0] == 0
    assert set(_roles(database_url, team.id)) == {"U0OWNER", "U0ANA"}
    assert cli("holidays", "Ops", "2026-12-25=Christmas", "2026-12-26")[0] == 0
    assert cli("holidays", "Ops", "Dec 25")[0] == 2
    assert cli("questions", "Ops", "--off", "whats_in_it")[0] == 0
    code, _, err = cli("questions", "Ops", "--off", "nope")
    assert code == 2 and "ai_frequency" in err
    db = Database.from_url(database_url)
    try:
        with db.unit_of_work() as session:
            days = {h.day.isoformat(): h.name for h in session.query(TeamHoliday)}
            off = [
                q.question_id for q in session.query(TeamQuestionSetting).filter_by(enabled=False)
            ]
    finally:
        db.dispose()
    assert days == {"2026-12-25": "Christmas", "2026-12-26": None}
    assert off == ["whats_in_it"]


def test_with_a_token_the_channel_is_read_at_once(
    cli: Run, database_url: str, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-sandbox-token")
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    slack.channel_members["C0MKT"] = ["U0OWNER", "U0ANA", "U0BEN", slack.bot_user_id]
    code, out, err = cli("create", "Marketing", "--channel", "C0MKT", "--owner", "U0OWNER")
    assert code == 0, err  # the workspace comes from the token (auth.test)
    assert "2 joined" in out
    team = _team(database_url)
    assert set(_roles(database_url, team.id)) == {"U0OWNER", "U0ANA", "U0BEN"}
    slack.channel_members["C0MKT"] = ["U0OWNER", "U0ANA"]
    code, out, _ = cli("sync", "Marketing")
    assert code == 0 and "1 left" in out
    slack.fail("conversations.members", "error", error="channel_not_found")
    code, _, err = cli("sync", "Marketing")
    assert code == 1 and "channel_not_found" in err
    assert set(_roles(database_url, team.id)) == {"U0OWNER", "U0ANA"}


def test_export_writes_the_weekly_aggregates_with_the_floor_kept(
    cli: Run, running: RunningApp, slack: FakeSlack, tmp_path: Path
) -> None:
    env = Env(db=running.db, slack=slack, app=running.ctx)
    team_id = two_weeks(env, running)
    out_file = tmp_path / "team.csv"
    after_both_rounds = freeze_time("2026-12-01 12:00:00", tick=True)
    with after_both_rounds:
        code, out, err = cli("export", str(team_id), "--out", str(out_file))
    assert code == 0, err
    assert f"wrote {out_file}" in out
    rows = list(csv.DictReader(io.StringIO(out_file.read_text())))
    assert [r["week"] for r in rows] == ["2026-11-16", "2026-11-23"]
    # The round is above the floor, but two of its questions were answered by fewer people.
    assert rows[0]["responded"] == "6" and rows[0]["ai_frequency:daily"] == "3"
    assert rows[0]["suppressed"] == "time_saved confidential_paste below minimum group size (5)"
    assert rows[1]["responded"] == "" and "minimum group size (5)" in rows[1]["suppressed"]
    # To standard output when no file is given; same content.
    with after_both_rounds:
        code, out, _ = cli("export", str(team_id))
    assert code == 0 and out == out_file.read_text()
