"""One typed settings object, read from the environment and an optional `.env` file.

Nothing else in the project reads the environment: everything takes a `Settings`.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Literal, TextIO

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# What each setting is for, used in error messages so that they name what to set.
HELP = {
    "SLACK_BOT_TOKEN": "the bot token (xoxb-…) from the app's OAuth & Permissions page",
    "SLACK_SIGNING_SECRET": "the signing secret from the app's Basic Information page",
    "SLACK_APP_TOKEN": "an app-level token (xapp-…) with connections:write, for Socket Mode",
    "SLACK_API_URL": "the Web API base URL, e.g. https://slack.com/api/",
    "DATABASE_URL": "a SQLAlchemy URL, e.g. sqlite:///data/atlas.db or postgresql://user@host/db",
    "LOG_LEVEL": "one of " + ", ".join(LOG_LEVELS),
    "ATLAS_DATA_DIR": "a writable directory for the embedded SQLite database",
    "ATLAS_RETENTION_DAYS": "how many days per-person rows are kept, 30 to 36500 (default 400)",
    "ATLAS_SECRET_KEY": "a Fernet key that seals confidential answers until their round closes; "
    'make one with python -c "from cryptography.fernet import Fernet; '
    'print(Fernet.generate_key().decode())"',
}


class SettingsError(Exception):
    """Settings are missing or invalid; the message names what to set."""


class Settings(BaseSettings):
    """Everything the app can be configured with."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,  # `LOG_LEVEL=` in .env means "use the default"
    )

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    # Seals confidential pulse answers while their round is open (docs/security.md).
    atlas_secret_key: SecretStr | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = ""
    atlas_data_dir: Path = Path("data")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # Bolt runs listeners on a thread pool; its default of 5 is too small for a burst of
    # clicks right after a survey fan-out.
    listener_threads: int = Field(default=16, ge=1, le=256)
    http_threads: int = Field(default=16, ge=1, le=256)
    # How long a pulse fan-out holds its round; if its process dies, another takes over after.
    pulse_lease_seconds: int = Field(default=120, ge=1, le=3600)
    # JSON lines for a log collector, text for a person; "auto" asks whether stderr is a terminal.
    log_format: Literal["auto", "json", "text"] = "auto"
    # /healthz and /metrics of Socket Mode and the scheduler (HTTP mode serves its own); 0: off.
    health_port: int = Field(default=9090, ge=0, le=65535)
    # Days per-person rows are kept; the nightly purge unlinks or deletes older ones
    # (docs/security.md, "Your data"). Published figures stay.
    atlas_retention_days: int = Field(default=400, ge=30, le=36500)

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator(
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "atlas_secret_key",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @field_validator("atlas_secret_key")
    @classmethod
    def _secret_key_shape(cls, value: SecretStr | None) -> SecretStr | None:
        from bot.storage.sealing import valid_key  # cryptography only when a key is set

        if value is not None and not valid_key(value.get_secret_value().strip()):
            raise ValueError("must be a Fernet key: 32 bytes in URL-safe base64 (44 characters)")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_shape(cls, value: str) -> str:
        value = value.strip() or DEFAULT_SLACK_API_URL
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        url = self.database_url.strip()
        if not url:
            url = f"sqlite:///{(self.atlas_data_dir / 'atlas.db').as_posix()}"
        elif url.startswith(("postgres://", "postgresql://")):
            # Use the psycopg 3 driver that the project installs.
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        if not url.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        self.database_url = url
        return self

    @property
    def socket_mode(self) -> bool:
        """Socket Mode is used whenever an app-level token is configured."""
        return self.slack_app_token is not None

    @property
    def secret_key(self) -> str | None:
        """ATLAS_SECRET_KEY as text, or None when it is not set."""
        key = self.atlas_secret_key
        return key.get_secret_value().strip() if key is not None else None

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is the embedded SQLite default (or another SQLite file)."""
        return self.database_url.startswith("sqlite")

    def require(self, *names: str) -> None:
        """Raise `SettingsError` naming every one of `names` that is not set."""
        missing = [name for name in names if getattr(self, name.lower()) is None]
        if missing:
            lines = [f"  {name}: {HELP.get(name, '')}" for name in missing]
            raise SettingsError(
                "Missing settings. Set them in the environment or in .env "
                "(see .env.example):\n" + "\n".join(lines)
            )

    def configure_logging(self, stream: TextIO | None = None) -> None:
        """Apply LOG_LEVEL and LOG_FORMAT to the root logger (stderr unless told otherwise)."""
        from bot import observability  # its metrics and Slack imports are not for every caller

        stream = stream or sys.stderr
        log_format = observability.choose_format(self.log_format, stream)
        logging.basicConfig(
            level=self.log_level, handlers=[observability.log_handler(log_format, stream)]
        )
        # Alembic announces each of its plugins at INFO; that is noise on every start.
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def load_settings(**overrides: object) -> Settings:
    """Read settings; raise `SettingsError` with a readable message when they are invalid."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = "_".join(str(part) for part in error["loc"]).upper() or "DATABASE_URL"
            message = error["msg"].removeprefix("Value error, ")
            hint = HELP.get(name)
            lines.append(f"  {name}: {message}" + (f" ({hint})" if hint else ""))
        raise SettingsError("Invalid settings:\n" + "\n".join(lines)) from None
