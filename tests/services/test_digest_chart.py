"""The weekly digest brings the trend chart: once a week, and never held up by a failed upload."""

from __future__ import annotations

import logging

import pytest

from bot.charts import trend_png
from bot.sandbox import FakeSlack
from bot.sandbox.running import RunningApp
from bot.services import diagnosis
from bot.storage import teams as team_repo
from tests.rounds import CLOSE, PEOPLE, run_week, small_team
from tests.services.conftest import Env, utc

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MONDAYS = [utc(2026, 11, 16, 15, 0), utc(2026, 11, 23, 15, 0), utc(2026, 11, 30, 15, 0)]
SIX = {user: {"ai_frequency": "daily"} for user, _, _ in PEOPLE[1:]}  # above the floor of 5
TWO = {"UM00": {"ai_frequency": "daily"}, "UM01": {"ai_frequency": "none"}}  # below it


@pytest.fixture
def env(running: RunningApp, slack: FakeSlack) -> Env:
    return Env(db=running.db, slack=slack, app=running.ctx)


def charts_to(slack: FakeSlack, user_id: str) -> list[bytes]:
    """The PNGs shared into a person's DM, in order."""
    found = []
    for call in slack.calls_to("files.completeUploadExternal"):
        if call.params.get("channel_id") == slack.dm_channel(user_id):
            found += [slack.uploaded(f["id"]) for f in call.json("files")]
    return found


def digests_to(slack: FakeSlack, user_id: str) -> list[dict]:
    return [
        m
        for m in slack.messages_in(slack.dm_channel(user_id))
        if m["text"].startswith("Diagnosis for ")
    ]


def test_the_png_starts_with_its_signature() -> None:
    assert trend_png([], "empty").startswith(PNG_SIGNATURE)


def test_the_chart_comes_with_the_digest_once_a_week_from_two_reportable_weeks(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    team_id = small_team(env)
    run_week(env, running, MONDAYS[0], SIX)
    assert digests_to(slack, "U0OWNER") and charts_to(slack, "U0OWNER") == []  # one week: a dot

    run_week(env, running, MONDAYS[1], SIX)
    charts = charts_to(slack, "U0OWNER")
    assert len(charts) == 1 and charts[0].startswith(PNG_SIGNATURE)

    # The digest is weekly: asking again in the same week sends neither it nor the chart.
    again = diagnosis.digest(
        db=env.db, team_id=team_id, caller=env.caller(), now=MONDAYS[1] + CLOSE
    )
    assert again is False
    env.tick(MONDAYS[1] + CLOSE + CLOSE / 8)
    assert len(charts_to(slack, "U0OWNER")) == 1

    # A third week below the floor is a gap in the chart; the chart still comes, once.
    run_week(env, running, MONDAYS[2], TWO)
    assert len(charts_to(slack, "U0OWNER")) == 2
    assert len(digests_to(slack, "U0OWNER")) == 3
    assert all(c.startswith(PNG_SIGNATURE) for c in charts_to(slack, "U0OWNER"))
    # Only the owner hears about the team.
    assert charts_to(slack, "UM00") == []


def test_a_failed_upload_does_not_stop_or_repeat_the_digest(
    running: RunningApp, slack: FakeSlack, env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    team_id = small_team(env)
    run_week(env, running, MONDAYS[0], SIX)
    slack.fail("files.completeUploadExternal", "error", times=None, error="not_allowed")
    with caplog.at_level(logging.WARNING, logger="bot.services.trend"):
        run_week(env, running, MONDAYS[1], SIX)
    assert len(digests_to(slack, "U0OWNER")) == 2  # the digest went out regardless
    assert charts_to(slack, "U0OWNER") == []
    assert slack.calls_to("files.completeUploadExternal", outcome="error:not_allowed")
    assert "did not reach U0OWNER" in caplog.text
    with env.db.unit_of_work() as session:
        sent_on = team_repo.get(session=session, team_id=team_id).digest_sent_on
    assert sent_on == (MONDAYS[1] + CLOSE).date()

    # Slack failing once with a 5xx is retried: the next week's chart arrives exactly once.
    slack.clear_faults()
    slack.fail("files.completeUploadExternal", "server_error", times=1)
    run_week(env, running, MONDAYS[2], SIX)
    assert len(digests_to(slack, "U0OWNER")) == 3
    assert len(charts_to(slack, "U0OWNER")) == 1
