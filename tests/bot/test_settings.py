"""Settings: read from the environment and .env, validated, with errors that name what to set."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "SLACK_API_URL",
        "DATABASE_URL",
        "LOG_LEVEL",
        "ATLAS_DATA_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_need_nothing_set() -> None:
    settings = load_settings()
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.database_url == "sqlite:///data/atlas.db"
    assert settings.log_level == "INFO" and not settings.socket_mode


def test_values_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    monkeypatch.setenv("SLACK_API_URL", "https://slack-gov.com/api")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    settings = load_settings()
    assert settings.slack_bot_token.get_secret_value() == "xoxb-1"
    assert settings.socket_mode
    assert settings.slack_api_url == "https://slack-gov.com/api/"
    assert settings.log_level == "DEBUG"


def test_a_dot_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_SIGNING_SECRET=from-file\nATLAS_DATA_DIR=/srv/atlas\n")
    settings = load_settings()
    assert settings.slack_signing_secret.get_secret_value() == "from-file"
    assert settings.database_url == "sqlite:////srv/atlas/atlas.db"


def test_the_environment_wins_over_dot_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("LOG_LEVEL=ERROR\n")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    assert load_settings().log_level == "WARNING"


def test_a_postgres_url_uses_the_installed_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://atlas:pw@db:5432/atlas")
    assert load_settings().database_url == "postgresql+psycopg://atlas:pw@db:5432/atlas"


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("SLACK_BOT_TOKEN", "xoxp-user-token", "SLACK_BOT_TOKEN"),
        ("SLACK_APP_TOKEN", "xoxb-wrong-kind", "SLACK_APP_TOKEN"),
        ("SLACK_API_URL", "slack.com/api", "SLACK_API_URL"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL"),
        ("DATABASE_URL", "mysql://x/y", "sqlite:// or postgresql://"),
    ],
)
def test_an_invalid_value_is_named_in_one_clear_message(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, named: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert named in str(raised.value)
    assert "Traceback" not in str(raised.value)


def test_require_lists_every_missing_setting() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings().require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    message = str(raised.value)
    assert "SLACK_BOT_TOKEN" in message and "SLACK_SIGNING_SECRET" in message
    assert ".env" in message


def test_blank_tokens_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_APP_TOKEN", "  ")
    assert load_settings().slack_app_token is None


def test_blank_values_in_dot_env_mean_the_default(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LOG_LEVEL=\nHTTP_THREADS=\nATLAS_DATA_DIR=\nDATABASE_URL=\n")
    settings = load_settings()
    assert settings.log_level == "INFO" and settings.http_threads == 16
    assert settings.database_url == "sqlite:///data/atlas.db"
