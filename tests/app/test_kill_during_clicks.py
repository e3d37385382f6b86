"""SIGKILL of `atlas-bot serve` in the middle of a burst of answer clicks: every click that got
its HTTP 200 is in the database. (An answer is saved before its ack, never after.)"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.sandbox import FakeSlack, SignedSender
from bot.sandbox.people import Person
from bot.sandbox.signer import post_raw
from bot.services import pulse
from bot.storage.db import Database
from bot.storage.models import Answer, Delivery, Member, Role
from tests.services.conftest import Env

pytestmark = [pytest.mark.servers, pytest.mark.heavy]

SECRET = "kill-test-secret"
PEOPLE = 40
SERVE = [sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1", "--no-migrate"]
QUESTIONS = (("ai_frequency", "daily"), ("time_saved", "30m_2h"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stored(env: Env) -> set[tuple[str, str]]:
    with env.db.unit_of_work() as session:
        rows = session.execute(
            select(Member.slack_user_id, Answer.question_id)
            .join(Delivery, Delivery.id == Answer.delivery_id)
            .join(Member, Member.id == Delivery.member_id)
        ).all()
    return {(user, question) for user, question in rows}


@pytest.fixture
def env(database_url: str, slack: FakeSlack) -> Iterator[Env]:
    db = Database.from_url(database_url)
    yield Env(db=db, slack=slack)
    db.dispose()


def test_every_click_acknowledged_before_a_sigkill_is_stored(
    env: Env, database_url: str, tmp_path: Path
) -> None:
    now = datetime.now(UTC)  # the served process reads the real clock: the round is open now
    people = [(f"UK{i:03d}", "America/New_York", Role.MEMBER) for i in range(PEOPLE)]
    team_id = env.team(
        people,
        created=(now - timedelta(days=10)).date().isoformat(),
        quiet_start=time_of_day(0, 0),
        quiet_end=time_of_day(0, 0),
    )
    started = pulse.start_now(db=env.db, team_id=team_id, now=now)
    pulse.deliver(
        db=env.db, round_id=started.round_id, caller=env.caller(), clock=lambda: now, owner=None
    )
    assert len(env.dms()) == PEOPLE

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [*SERVE, "--port", str(port)],
        cwd=tmp_path,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE"))},
            "SLACK_BOT_TOKEN": "xoxb-kill",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": env.slack.api_url,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "ERROR",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None and time.monotonic() < deadline, "serve did not start"
            try:
                if post_raw(url + "/healthz", b"", {}, method="GET").status == 200:
                    break
            except OSError:
                time.sleep(0.05)

        sender = SignedSender(
            url, SECRET, team_id=env.slack.team_id, response_url_base=env.slack.base_url + "/r"
        )
        acked: list[tuple[str, str]] = []
        lock = threading.Lock()
        enough = threading.Event()

        def click(user_id: str, question: str, value: str) -> None:
            try:
                reply = Person(user_id, env.slack, sender).answer(question, value)
            except OSError:  # the server died under this request
                return
            if reply.status == 200:
                with lock:
                    acked.append((user_id, question))
                    if len(acked) >= PEOPLE // 2:
                        enough.set()

        clicks = [(user, q, v) for user, _, _ in people for q, v in QUESTIONS]
        with ThreadPoolExecutor(max_workers=8) as pool:
            for user_id, question, value in clicks:
                pool.submit(click, user_id, question, value)
            assert enough.wait(60), "the clicks were not being answered"
            process.send_signal(signal.SIGKILL)
            process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert 0 < len(acked) < len(clicks)  # killed in the middle of the burst
    missing = set(acked) - _stored(env)
    assert not missing, f"acknowledged but not stored: {sorted(missing)}"
