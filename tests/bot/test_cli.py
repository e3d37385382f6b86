"""`atlas-bot` as a user runs it: a real process, real settings, a signed request over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from bot.sandbox import FakeSlack, SignedSender
from bot.sandbox.signer import post_raw
from bot.storage import migrations
from bot.storage.db import make_engine

pytestmark = pytest.mark.servers  # these start the command as a process or serve HTTP

ATLAS_BOT = [sys.executable, "-m", "bot.cli"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    env.update(ATLAS_DATA_DIR=str(tmp_path / "data"), LOG_LEVEL="WARNING", HEALTH_PORT="0")
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_without_tokens_names_what_to_set(tmp_path: Path) -> None:
    done = subprocess.run(
        [*ATLAS_BOT, "serve", "--http"],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "SLACK_BOT_TOKEN" in done.stderr and "SLACK_SIGNING_SECRET" in done.stderr
    assert "Traceback" not in done.stderr


def test_socket_mode_needs_the_app_token_not_the_signing_secret(tmp_path: Path) -> None:
    done = subprocess.run(
        [*ATLAS_BOT, "serve"],
        cwd=tmp_path,
        env=_env(tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="bad"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "SLACK_APP_TOKEN" in done.stderr
    assert "xapp-" in done.stderr


def test_a_bad_port_is_refused_with_usage(tmp_path: Path) -> None:
    done = subprocess.run(
        [*ATLAS_BOT, "serve", "--port", "99999"],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "between 1 and 65535" in done.stderr


def test_db_upgrade_creates_the_schema(tmp_path: Path, empty_database_url: str) -> None:
    done = subprocess.run(
        [*ATLAS_BOT, "db", "upgrade"],
        cwd=tmp_path,
        env=_env(tmp_path, DATABASE_URL=empty_database_url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"database at revision {migrations.head_revision()}" in done.stdout
    engine = make_engine(empty_database_url)
    assert {"workspaces", "teams", "members"} <= set(inspect(engine).get_table_names())
    engine.dispose()


@pytest.fixture
def served(tmp_path: Path, empty_database_url: str) -> Iterator[tuple[str, FakeSlack]]:
    """`atlas-bot serve --http --port N` as its own process, talking to the stand-in."""
    with FakeSlack() as slack:
        port = _free_port()
        env = _env(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-cli",
            SLACK_SIGNING_SECRET="cli-secret",
            SLACK_API_URL=slack.api_url,
            DATABASE_URL=empty_database_url,
        )
        process = subprocess.Popen(
            [*ATLAS_BOT, "serve", "--http", "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                assert process.poll() is None, process.stdout.read()
                try:
                    if post_raw(url + "/healthz", b"", {}, method="GET").status == 200:
                        break
                except OSError:
                    time.sleep(0.1)
            yield url, slack
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_serve_http_answers_a_signed_atlas_2_2_with_its_card(
    served: tuple[str, FakeSlack],
) -> None:
    url, slack = served
    sender = SignedSender(url, "cli-secret", team_id=slack.team_id)
    reply = sender.command("2.2")
    assert reply.status == 200
    header = reply.json["blocks"][0]["text"]["text"]
    assert header == "2.2 · Only the AI lead uses the tools"
    # serve migrated the empty database on start and learned who it is from auth.test
    assert len(slack.calls_to("auth.test")) == 1  # once: checking the token is identifying
    wrong = SignedSender(url, "not-the-secret", team_id=slack.team_id)
    assert wrong.command("2.2").status == 401


def test_socket_mode_connects_through_slack_api_url_with_the_app_token(tmp_path: Path) -> None:
    with FakeSlack() as slack:
        env = _env(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-cli",
            SLACK_APP_TOKEN="xapp-cli",
            SLACK_API_URL=slack.api_url,
        )
        process = subprocess.Popen(
            [*ATLAS_BOT, "serve"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while not slack.calls_to("apps.connections.open") and time.monotonic() < deadline:
                assert process.poll() is None
                time.sleep(0.1)
            opened = slack.calls_to("apps.connections.open")
            assert opened and opened[0].token == "xapp-cli"
            assert slack.calls_to("auth.test")[0].token == "xoxb-cli"
        finally:
            process.terminate()
            assert process.wait(timeout=10) == 0  # SIGTERM is a clean stop


def test_diagnose_runs_by_hand_and_alerts(tmp_path: Path, database_url: str) -> None:
    from bot.services import teams
    from bot.storage.db import Database

    with FakeSlack() as slack:
        db = Database.from_url(database_url)
        team = teams.create_team(
            db=db, slack_team_id=slack.team_id, name="Ops", configured_by="UCONF"
        )
        db.dispose()
        env = _env(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-cli",
            SLACK_API_URL=slack.api_url,
            DATABASE_URL=database_url,
        )
        done = subprocess.run(
            [*ATLAS_BOT, "diagnose", "--team", str(team.id)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert f"team {team.id}: ok; detected 1.1; 1 alerts sent" in done.stdout
        assert "No named owner" in slack.messages_in(slack.dm_channel("UCONF"))[0]["text"]
