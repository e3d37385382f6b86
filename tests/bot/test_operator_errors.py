"""Turning an exception into the operator's message: real errors from a closed port, an empty
database and Slack's own responses; a bug is left alone, to keep its traceback."""

from __future__ import annotations

import socket
import urllib.error
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse
from sqlalchemy import text

from bot.app import make_web_client
from bot.operator_errors import OperatorError, explain, is_slack_outage
from bot.settings import Settings, load_settings
from bot.storage.db import make_engine


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_API_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _raised(settings: Settings, statement: str = "SELECT 1") -> Exception:
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    except Exception as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError("no error")


def _slack_error(method: str, error: str, status: int = 200) -> SlackApiError:
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url=f"https://slack.com/api/{method}",
        req_args={},
        data={"ok": False, "error": error},
        headers={},
        status_code=status,
    )
    return SlackApiError("refused", response)


def test_a_refused_connection_names_the_database_without_its_password() -> None:
    port = _closed_port()
    settings = load_settings(database_url=f"postgresql://nobody:hunter2@127.0.0.1:{port}/atlas")
    message = explain(_raised(settings), settings)
    assert message == (
        f"cannot reach the database at postgresql://nobody:***@127.0.0.1:{port}/atlas "
        "(connection refused). Is PostgreSQL running? Check DATABASE_URL."
    )


def test_a_database_without_tables_says_to_run_db_upgrade(tmp_path: Path) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    message = explain(_raised(settings, "SELECT id FROM teams"), settings)
    assert message is not None
    assert "(no such table: teams)" in message
    assert message.endswith("Run `atlas-bot db upgrade` first.")


def test_a_data_directory_under_a_file_names_the_setting_to_change(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("not a directory")
    settings = load_settings(atlas_data_dir=tmp_path / "taken" / "data")
    with pytest.raises(OSError) as raised:
        make_engine(settings.database_url)
    message = explain(raised.value, settings)
    assert message is not None
    assert message.startswith(f"cannot create the SQLite database at {tmp_path / 'taken'}")
    assert "ATLAS_DATA_DIR" in message


def test_slack_out_of_reach_is_an_outage_that_says_where_slack_was_looked_for() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/api/"
    settings = load_settings(slack_api_url=url)
    with pytest.raises(urllib.error.URLError) as raised:
        make_web_client(settings, "xoxb-1", retries=False).auth_test()
    assert is_slack_outage(raised.value)
    assert explain(raised.value, settings) == (
        f"cannot reach Slack's Web API at {url} (connection refused). "
        "Check the network or SLACK_API_URL."
    )


def test_a_refused_token_names_the_setting_that_holds_it() -> None:
    settings = load_settings()
    bot = explain(_slack_error("auth.test", "invalid_auth"), settings)
    app = explain(_slack_error("apps.connections.open", "invalid_auth"), settings)
    assert bot is not None and bot.startswith("Slack refused SLACK_BOT_TOKEN (invalid_auth)")
    assert "OAuth & Permissions" in bot
    assert app is not None and app.startswith("Slack refused SLACK_APP_TOKEN (invalid_auth)")
    assert not is_slack_outage(_slack_error("auth.test", "invalid_auth"))
    assert is_slack_outage(_slack_error("apps.connections.open", "internal_error", 503))


def test_our_own_checks_speak_for_themselves() -> None:
    settings = load_settings()
    assert explain(OperatorError("the database is empty."), settings) == "the database is empty."


def test_a_bug_is_not_explained_away() -> None:
    settings = load_settings()
    assert explain(ValueError("a bug"), settings) is None
    assert explain(_slack_error("chat.postMessage", "invalid_blocks"), settings) is None
    # A bug met while handling Slack trouble is still a bug: only `raise … from` is followed.
    try:
        try:
            raise _slack_error("auth.test", "invalid_auth")
        except SlackApiError:
            {}["missing"]
    except KeyError as bug:
        assert explain(bug, settings) is None
