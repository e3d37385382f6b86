"""A closed round's figures never change by fewer people than the floor once shown.

The attack: read the CSV (or the chart's data, or the Home tab), let one person delete their
answers, read again, and subtract. The second reading must not hold that difference.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from bot.sandbox import FakeSlack
from bot.sandbox.running import RunningApp
from bot.services import export, home, members, teams, trend
from bot.storage import reports
from bot.storage import teams as team_repo
from tests.rounds import MONDAYS, PEOPLE, SWITCHED_OFF, WEEK_1, run_week, two_weeks
from tests.services.conftest import Env

FIXED_CELLS = ("week", "suppressed")


@pytest.fixture
def env(running: RunningApp, slack: FakeSlack) -> Env:
    return Env(db=running.db, slack=slack, app=running.ctx)


def _rows(env: Env, team_id: int, running: RunningApp) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(export.team_csv(env.db, team_id, running.ctx.clock()))))


def _weeks(env: Env, team_id: int, running: RunningApp) -> list[trend.WeekStats]:
    with env.db.unit_of_work() as session:
        team = team_repo.get(session=session, team_id=team_id)
        return trend.trend(session, team, running.ctx.clock())


def _delete(env: Env, running: RunningApp, *user_ids: str) -> None:
    for user_id in user_ids:
        members.delete_my_data(
            db=env.db, slack_team_id=env.slack.team_id, user_id=user_id, now=running.ctx.clock()
        )


def _blank(row: dict[str, str]) -> bool:
    return all(v == "" for k, v in row.items() if k not in FIXED_CELLS)


def test_a_round_is_published_when_it_closes(running: RunningApp, env: Env) -> None:
    team_id = two_weeks(env, running)
    with env.db.unit_of_work() as session:
        rounds = reports.closed_rounds(session=session, team_id=team_id)
        shown = reports.published(session=session, round_ids=[r.id for r in rounds])
    first, second = (shown[r.id] for r in rounds)
    assert first["respondents"] == 6 and first["questions"]["ai_frequency"]["answered"] == 6
    assert "confidential_paste" not in first["questions"]  # 3 answered it: below the floor
    assert second["respondents"] is None  # 2 answered that round: nothing of it was shown


def test_one_person_deleting_their_answers_cannot_be_read_by_difference(
    running: RunningApp, env: Env
) -> None:
    team_id = two_weeks(env, running)
    before = _rows(env, team_id, running)
    assert before[0]["responded"] == "6" and before[0]["ai_frequency:daily"] == "3"
    assert _weeks(env, team_id, running)[0].respondents == 6
    _delete(env, running, "UM03")
    after = _rows(env, team_id, running)
    assert after[0]["suppressed"] == export.withheld_note(5)
    assert _blank(after[0])
    # Nothing in the second reading differs from the first by a number: each cell is the same
    # or blank, so no subtraction yields UM03's answers.
    for old, new in zip(before, after, strict=True):
        assert all(new[k] in ("", old[k]) for k in old if k != "suppressed")
    week = _weeks(env, team_id, running)[0]
    assert not week.reportable and week.withheld and week.respondents is None
    owned = home.gather(
        db=env.db, slack_team_id=env.slack.team_id, user_id="U0OWNER", now=running.ctx.clock()
    ).owned[0]
    assert owned.trend[0].withheld and owned.usage == () and owned.go_to is None
    assert owned.tools is None
    # Reading again changes nothing: what was shown stays the reference.
    assert _rows(env, team_id, running) == after


def test_unchanged_figures_read_the_same_every_time(running: RunningApp, env: Env) -> None:
    team_id = two_weeks(env, running)
    assert _rows(env, team_id, running) == _rows(env, team_id, running)


def test_five_people_deleting_take_the_round_below_the_floor(running: RunningApp, env: Env) -> None:
    team_id = two_weeks(env, running)
    _rows(env, team_id, running)
    _delete(env, running, "ULEAD", "UM01", "UM02", "UM03", "UM04")
    (first, _) = _rows(env, team_id, running)
    # Five changed: new figures may be shown, and those are below the floor anyway.
    assert first["suppressed"] == export.suppressed_note(5)
    assert _blank(first)
    assert not _weeks(env, team_id, running)[0].withheld


def test_as_many_people_as_the_floor_leaving_shows_the_new_figures(
    running: RunningApp, env: Env
) -> None:
    team_id = env.team(
        PEOPLE, created="2026-11-11", rollout_start=date(2026, 10, 1), min_group_size=3
    )
    for question_id in SWITCHED_OFF:
        teams.set_question_enabled(
            db=env.db, team_id=team_id, question_id=question_id, enabled=False
        )
    run_week(env, running, MONDAYS[0], WEEK_1)
    (before,) = _rows(env, team_id, running)
    assert (before["responded"], before["ai_frequency:several"]) == ("6", "2")
    _delete(env, running, "ULEAD", "UM03", "UM04")  # none of them answered a confidential one
    (after,) = _rows(env, team_id, running)
    assert after["responded"] == "3" and "changed" not in after["suppressed"]
    assert after["ai_frequency:several"] == "1" and after["ai_frequency:daily"] == "2"
    # Those are now the published figures: one more person leaving is withheld again.
    _delete(env, running, "UM02")
    (last,) = _rows(env, team_id, running)
    assert last["suppressed"] == export.withheld_note(3) and _blank(last)
