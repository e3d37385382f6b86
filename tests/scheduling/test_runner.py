"""`atlas-bot scheduler`: one process, APScheduler ticking, DMs going out, a clean stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from datetime import time as time_of_day
from pathlib import Path

from bot.sandbox import FakeSlack
from bot.services import pulse, teams
from bot.storage.db import Database


def test_the_scheduler_process_sends_a_started_round_and_stops_cleanly(
    database_url: str, slack: FakeSlack, tmp_path: Path
) -> None:
    db = Database.from_url(database_url)
    team = teams.create_team(
        db=db,
        slack_team_id=slack.team_id,
        name="Ops",
        quiet_start=time_of_day(0, 0),
        quiet_end=time_of_day(0, 0),
    )
    teams.add_member(db=db, team_id=team.id, slack_user_id="U0MEMBER1")
    pulse.start_now(db=db, team_id=team.id, now=datetime.now(UTC))
    db.dispose()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SLACK_")},
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        "HEALTH_PORT": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "scheduler"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while "U0MEMBER1" not in slack.dm_messages_by_user():
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=15)
    assert code == 0
    assert slack.dm_messages_by_user() == {"U0MEMBER1": 1}
