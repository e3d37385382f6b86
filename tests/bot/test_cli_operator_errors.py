"""An operator's mistakes, run as the operator runs them: `atlas-bot` says what is wrong and what
to do in one message, exits 2, and prints no traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.polling import poll_until
from bot.sandbox import FakeSlack
from bot.storage import migrations
from bot.storage.db import make_engine
from tests.bot.test_cli import ATLAS_BOT, _env, _free_port

pytestmark = pytest.mark.servers  # these start the command as a process

ROOT = Path(__file__).resolve().parents[2]


def _atlas_bot(tmp_path: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ATLAS_BOT, *argv],
        cwd=tmp_path,
        env={**_env(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _said_once(done: subprocess.CompletedProcess[str]) -> str:
    """The command's stderr, once it is known to be one message and exit 2."""
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stderr


def _migrated_sqlite(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'atlas.db'}"
    engine = make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    return url


def _closed_slack_url() -> str:
    return f"http://127.0.0.1:{_free_port()}/api/"


def test_serve_with_the_database_down_names_it_without_the_password(tmp_path: Path) -> None:
    port = _free_port()
    done = _atlas_bot(
        tmp_path,
        "serve",
        "--http",
        DATABASE_URL=f"postgresql://nobody:hunter2@127.0.0.1:{port}/atlas",
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET="secret",
        SLACK_API_URL=_closed_slack_url(),
    )
    said = _said_once(done)
    assert (
        f"atlas-bot: cannot reach the database at postgresql://nobody:***@127.0.0.1:{port}/atlas "
        "(connection refused). Is PostgreSQL running? Check DATABASE_URL." in said
    )
    assert "hunter2" not in said


def test_a_database_without_tables_says_to_run_db_upgrade(
    tmp_path: Path, empty_database_url: str
) -> None:
    said = _said_once(_atlas_bot(tmp_path, "team", "list", DATABASE_URL=empty_database_url))
    assert "is not set up for this version" in said
    assert "Run `atlas-bot db upgrade` first." in said


def test_serve_without_migrating_refuses_a_database_without_tables(tmp_path: Path) -> None:
    done = _atlas_bot(
        tmp_path,
        "serve",
        "--http",
        "--no-migrate",
        "--port",
        str(_free_port()),
        DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}",
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET="secret",
        SLACK_API_URL=_closed_slack_url(),
    )
    said = _said_once(done)
    assert "has no tables yet. Run `atlas-bot db upgrade` first" in said


def test_a_data_directory_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file where the data directory should go")
    done = _atlas_bot(tmp_path, "db", "upgrade", ATLAS_DATA_DIR=str(tmp_path / "taken" / "data"))
    said = _said_once(done)
    assert f"cannot create the SQLite database at {tmp_path / 'taken' / 'data'}" in said
    assert "Set ATLAS_DATA_DIR (or DATABASE_URL) to a writable directory." in said


def test_team_create_with_slack_out_of_reach_says_where_it_looked(tmp_path: Path) -> None:
    slack_url = _closed_slack_url()
    done = _atlas_bot(
        tmp_path,
        "team",
        "create",
        "Marketing",
        "--channel",
        "C0MKT",
        DATABASE_URL=_migrated_sqlite(tmp_path),
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_API_URL=slack_url,
    )
    said = _said_once(done)
    assert f"cannot reach Slack's Web API at {slack_url} (connection refused)" in said


@pytest.fixture
def refusing_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        slack.invalid_tokens.update({"xoxb-revoked", "xapp-revoked"})
        yield slack


def test_team_create_with_a_token_slack_refuses_says_which_token(
    tmp_path: Path, refusing_slack: FakeSlack
) -> None:
    done = _atlas_bot(
        tmp_path,
        "team",
        "create",
        "Marketing",
        "--channel",
        "C0MKT",
        DATABASE_URL=_migrated_sqlite(tmp_path),
        SLACK_BOT_TOKEN="xoxb-revoked",
        SLACK_API_URL=refusing_slack.api_url,
    )
    said = _said_once(done)
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in said
    assert "OAuth & Permissions" in said


def test_serve_with_a_bot_token_slack_refuses_stops(
    tmp_path: Path, refusing_slack: FakeSlack
) -> None:
    done = _atlas_bot(
        tmp_path,
        "serve",
        "--http",
        "--port",
        str(_free_port()),
        DATABASE_URL=_migrated_sqlite(tmp_path),
        SLACK_BOT_TOKEN="xoxb-revoked",
        SLACK_SIGNING_SECRET="secret",
        SLACK_API_URL=refusing_slack.api_url,
    )
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in _said_once(done)


def test_socket_mode_with_an_app_token_slack_refuses_stops(
    tmp_path: Path, refusing_slack: FakeSlack
) -> None:
    done = _atlas_bot(
        tmp_path,
        "serve",
        DATABASE_URL=_migrated_sqlite(tmp_path),
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_APP_TOKEN="xapp-revoked",
        SLACK_API_URL=refusing_slack.api_url,
    )
    said = _said_once(done)
    assert "Slack refused SLACK_APP_TOKEN (invalid_auth)" in said
    assert "connections:write" in said


def test_socket_mode_waits_for_slack_and_connects_once_it_answers(tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "stderr.log"
    env = _env(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-cli",
        SLACK_APP_TOKEN="xapp-cli",
        SLACK_API_URL=f"http://127.0.0.1:{port}/api/",
    )
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [*ATLAS_BOT, "serve"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )
    try:
        waiting = poll_until(
            lambda: "Retrying in" in log.read_text() or process.poll() is not None, 60, 0.1
        )
        assert waiting and process.poll() is None, log.read_text()
        assert f"cannot reach Slack's Web API at http://127.0.0.1:{port}/api/" in log.read_text()
        with FakeSlack(port=port) as slack:
            opened = poll_until(lambda: slack.calls_to("apps.connections.open"), 60, 0.05)
            assert opened, log.read_text()
            # Slack did not answer auth.test at the start: the bot identifies itself now.
            assert poll_until(lambda: slack.calls_to("auth.test"), 30, 0.05), log.read_text()
            assert slack.calls_to("apps.connections.open")[0].token == "xapp-cli"
            assert process.poll() is None
            process.terminate()
            assert process.wait(timeout=10) == 0  # SIGTERM is a clean stop
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in log.read_text()


def test_http_mode_serves_once_slack_answers_who_it_is(tmp_path: Path) -> None:
    """Only recorded workspaces are served; a bot started while Slack was out of reach keeps
    asking Slack who it is, and serves its workspace as soon as Slack answers."""
    from bot.sandbox import SignedSender
    from bot.sandbox.signer import post_raw

    slack_port, http_port = _free_port(), _free_port()
    env = _env(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-cli",
        SLACK_SIGNING_SECRET="cli-secret",
        SLACK_API_URL=f"http://127.0.0.1:{slack_port}/api/",
        DATABASE_URL=_migrated_sqlite(tmp_path),
    )
    process = subprocess.Popen(
        [*ATLAS_BOT, "serve", "--http", "--host", "127.0.0.1", "--port", str(http_port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{http_port}"

    def healthy() -> bool:
        try:
            return post_raw(url + "/healthz", b"", {}, method="GET").status == 200
        except OSError:
            return False

    try:
        assert poll_until(lambda: healthy() or process.poll() is not None, 60, 0.1)
        assert process.poll() is None
        with FakeSlack(port=slack_port) as slack:
            sender = SignedSender(url, "cli-secret", team_id=slack.team_id)

            def served() -> bool:
                return "Only the AI lead" in sender.command("2.2").text

            assert poll_until(served, 60, 0.2), "the workspace was never recorded"
            assert slack.calls_to("auth.test")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_with_a_malformed_token_reports_it_instead_of_running_the_demo(
    tmp_path: Path,
) -> None:
    venv = Path(sys.prefix)
    if not (venv / "bin" / "atlas-bot").exists():
        pytest.skip("the tests do not run from the project's virtualenv")
    makefile, installed = str(ROOT / "Makefile"), f"{venv}/.installed"
    done = subprocess.run(
        # -o: take the virtualenv as installed, so that make never reinstalls it here.
        ["make", "-s", "-f", makefile, f"VENV={venv}", "-o", installed, "run"],
        cwd=tmp_path,
        env=_env(tmp_path, SLACK_BOT_TOKEN="abc"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "atlas-bot: Invalid settings:" in done.stderr
    assert "SLACK_BOT_TOKEN: must be a bot token starting with xoxb-" in done.stderr
    assert "demo" not in done.stdout
    assert not (tmp_path / "demo-output").exists()
