"""Exactly-once delivery: rate-limit storms, server errors, dead tokens, doubt, and crashes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from datetime import time as time_of_day
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.services import members, pulse
from bot.storage import workspaces as workspace_repo
from bot.storage.models import Delivery, DeliveryStatus, PulseRound, Role
from tests.services.conftest import Env, utc
from tests.waiting import eventually

NY = "America/New_York"
MONDAY_10_NY = utc(2026, 11, 30, 15, 0)


def _people(n: int) -> list[tuple[str, str, Role]]:
    return [(f"UM{i:03d}", NY, Role.MEMBER) for i in range(n)]


def _ledger(env: Env) -> dict[DeliveryStatus, int]:
    with env.db.unit_of_work() as session:
        counts: dict[DeliveryStatus, int] = {}
        for row in session.scalars(select(Delivery)):
            counts[row.status] = counts.get(row.status, 0) + 1
        return counts


def test_a_429_storm_delays_but_loses_and_doubles_nothing(env: Env) -> None:
    env.team(_people(12), created="2026-11-27")
    env.slack.fail("chat.postMessage", "ratelimited", times=25, retry_after=3)
    env.tick(MONDAY_10_NY)
    env.tick(utc(2026, 11, 30, 15, 5))  # a message that waited out 20 in a row goes next tick
    assert env.dms() == {f"UM{i:03d}": 1 for i in range(12)}
    assert env.slack.ratelimited_count("chat.postMessage") == 25
    assert env.sleeps.count(3.0) >= 25  # every Retry-After was waited out
    assert _ledger(env) == {DeliveryStatus.SENT: 12}


def test_server_errors_are_retried_with_backoff_then_later_with_nothing_lost(env: Env) -> None:
    env.team(_people(6), created="2026-11-27")
    env.slack.fail("chat.postMessage", "server_error", times=10, status=503)
    first = env.tick(MONDAY_10_NY)
    assert sum(r.retry for r in first.fanouts.values()) >= 1
    assert 0.5 in env.sleeps and 1.0 in env.sleeps  # exponential backoff
    for minutes in range(1, 40, 3):  # later ticks pick up the rows left to retry
        env.tick(utc(2026, 11, 30, 15, minutes))
    assert env.dms() == {f"UM{i:03d}": 1 for i in range(6)}
    assert _ledger(env) == {DeliveryStatus.SENT: 6}


def test_a_revoked_token_stops_the_workspace_and_resumes_nothing_blindly(env: Env) -> None:
    env.team(_people(8), created="2026-11-27")
    env.slack.fail("chat.postMessage", "error", times=None, error="account_inactive")
    report = env.tick(MONDAY_10_NY)
    assert any(f.stopped for f in report.fanouts.values())
    posts = env.slack.calls_to("chat.postMessage", outcome=None)
    assert len(posts) == 1  # stopped at the first refusal, not 8 times
    with env.db.unit_of_work() as session:
        assert (
            workspace_repo.get_by_slack_id(session=session, slack_team_id=env.slack.team_id).active
            is False
        )
    env.tick(utc(2026, 11, 30, 15, 5))
    assert len(env.slack.calls_to("chat.postMessage", outcome=None)) == 1


def test_deactivated_people_bots_and_guests_are_skipped(env: Env) -> None:
    env.slack.add_user("UGONE", tz=NY, deleted=True)
    env.slack.add_user("UBOT", tz=NY, is_bot=True)
    env.slack.add_user("UGUEST", tz=NY, is_restricted=True)
    env.team(
        [
            ("UM000", NY, Role.MEMBER),
            ("UGONE", NY, Role.MEMBER),
            ("UBOT", NY, Role.MEMBER),
            ("UGUEST", NY, Role.MEMBER),
        ],
        created="2026-11-27",
    )
    env.tick(MONDAY_10_NY)
    assert env.dms() == {"UM000": 1}


def test_guests_are_asked_when_the_team_includes_them(env: Env) -> None:
    env.slack.add_user("UGUEST", tz=NY, is_restricted=True)
    env.team(
        [("UM000", NY, Role.MEMBER), ("UGUEST", NY, Role.MEMBER)],
        include_guests=True,
        created="2026-11-27",
    )
    env.tick(MONDAY_10_NY)
    assert env.dms() == {"UM000": 1, "UGUEST": 1}


def test_a_send_that_timed_out_is_checked_in_history_not_sent_again(env: Env) -> None:
    env.team(_people(3), created="2026-11-27")
    env.timeout = 0.5
    env.slack.fail("chat.postMessage", "slow", times=1, delay=1.0)  # arrives, answer too late
    first = env.tick(MONDAY_10_NY)
    assert sum(f.ambiguous for f in first.fanouts.values()) == 1
    env.slack.settle()  # the slow reply lands in the stand-in
    second = env.tick(utc(2026, 11, 30, 15, 1))
    assert sum(f.reconciled for f in second.fanouts.values()) == 1
    assert env.dms() == {"UM000": 1, "UM001": 1, "UM002": 1}
    assert _ledger(env) == {DeliveryStatus.SENT: 3}


def test_a_doubtful_send_that_never_arrived_is_sent_once_after_checking(env: Env) -> None:
    team_id = env.team(_people(2), created="2026-11-27")
    started = pulse.start_now(db=env.db, team_id=team_id, now=MONDAY_10_NY)
    with env.db.unit_of_work() as session:  # as if a process died right after claiming
        from bot.storage.models import Member

        member = session.scalar(select(Member).where(Member.slack_user_id == "UM000"))
        session.add(
            Delivery(
                workspace_id=member.workspace_id,
                round_id=started.round_id,
                member_id=member.id,
                status=DeliveryStatus.SENDING,
                question_ids=["ai_frequency"],
                due_at=MONDAY_10_NY,
                claimed_at=MONDAY_10_NY,
                claimed_by="dead-process",
            )
        )
    report = pulse.deliver(
        db=env.db, round_id=started.round_id, caller=env.caller(), clock=lambda: MONDAY_10_NY
    )
    assert env.slack.calls_to("conversations.history")  # it looked before sending
    assert report.sent == 2 and env.dms() == {"UM000": 1, "UM001": 1}


@pytest.mark.heavy
def test_killing_the_process_mid_fan_out_then_restarting_sends_each_dm_once(
    env: Env, database_url: str, tmp_path: Path
) -> None:
    people = 16
    # No quiet hours: the round starts "now", whatever the time of day the test runs at.
    team_id = env.team(
        _people(people),
        created="2026-11-20",
        quiet_start=time_of_day(0, 0),
        quiet_end=time_of_day(0, 0),
    )
    members.sync_profiles(db=env.db, team_id=team_id, caller=env.caller(), now=datetime.now(UTC))
    env.slack.fail("chat.postMessage", "slow", times=None, delay=0.05)
    cli = [sys.executable, "-m", "bot.cli", "pulse", "run", "--team", str(team_id), "--now"]
    run_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SLACK_")},
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": env.slack.api_url,
        "DATABASE_URL": database_url,
        "PULSE_LEASE_SECONDS": "1",
        "LOG_LEVEL": "ERROR",
    }
    first = subprocess.Popen(
        cli, env=run_env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while len(env.dms()) < people // 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait()
    sent_before = len(env.dms())
    assert 0 < sent_before < people  # killed in the middle
    eventually(lambda: _lease_ran_out(env, team_id), seconds=10)  # the dead process's lease
    second = subprocess.run(
        cli, env=run_env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert second.returncode == 0, second.stderr
    assert env.dms() == {f"UM{i:03d}": 1 for i in range(people)}
    assert _ledger(env) == {DeliveryStatus.SENT: people}


def _lease_ran_out(env: Env, team_id: int) -> bool:
    with env.db.unit_of_work() as session:
        until = session.scalar(select(PulseRound.lease_until).where(PulseRound.team_id == team_id))
    return until is None or until < datetime.now(UTC)


def test_two_fan_outs_of_one_round_never_send_twice(env: Env) -> None:
    import threading

    team_id = env.team(_people(20), created="2026-11-27")
    env.slack.fail("chat.postMessage", "slow", times=None, delay=0.01)
    started = pulse.start_now(db=env.db, team_id=team_id, now=MONDAY_10_NY)
    reports = []

    def run() -> None:
        reports.append(
            pulse.deliver(
                db=env.db,
                round_id=started.round_id,
                caller=env.caller(),
                clock=lambda: MONDAY_10_NY,
                owner=None,
            )
        )

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert env.dms() == {f"UM{i:03d}": 1 for i in range(20)}
    assert sum(r.sent for r in reports) == 20
