"""What went wrong around the app, said in one message the person running it can act on.

A database that is down or not migrated, a Slack that cannot be reached, a token Slack refuses:
these are mistakes in the set-up, not bugs, so the command line prints one message and exits 2
instead of a traceback. Anything not recognised here is a bug and keeps its traceback.
"""

from __future__ import annotations

import logging
import sys
import urllib.error
from pathlib import Path

from alembic.util.exc import CommandError
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.outbound import RETRY_ERRORS, STOP_ERRORS
from bot.settings import HELP, Settings

log = logging.getLogger(__name__)

# SQLSTATEs of a schema that is missing or older than the code: undefined table, column.
NOT_MIGRATED_STATES = frozenset({"42P01", "42703"})
NOT_MIGRATED_SQLITE = ("no such table", "no such column", "has no column named")
# Words in a failed connection's reason that mean the server was not reached at all.
UNREACHABLE = ("refused", "resolve host", "timeout", "timed out", "no route", "unreachable")


class OperatorError(Exception):
    """A problem found by a check of our own, raised with the operator's message."""


def explain(exc: BaseException, settings: Settings) -> str | None:
    """The operator's message for `exc` (what is wrong, what to do), or None for a bug."""
    for error in _chain(exc):
        message = _explain_one(error, settings)
        if message is not None:
            return message
    return None


def is_slack_outage(exc: BaseException) -> bool:
    """Whether `exc` means Slack could not be reached or had trouble, so a retry may work."""
    if isinstance(exc, SlackApiError):
        return exc.response.status_code >= 500 or exc.response.get("error") in RETRY_ERRORS
    return isinstance(exc, OSError) and _raised_in(exc, "slack_sdk")


def token_refused(error: str, *, token: str = "SLACK_BOT_TOKEN") -> str | None:
    """The operator's message when Slack answered `error` because of `token`, else None."""
    if error not in STOP_ERRORS:
        return None
    return (
        f"Slack refused {token} ({error}): the token is wrong, revoked, or the app was removed "
        f"from the workspace.\nSet {token} (environment or .env) to {HELP[token]}."
    )


def report(exc: BaseException, settings: Settings, *, prog: str = "atlas-bot") -> bool:
    """Print the operator's message for `exc` on stderr, its traceback only to the DEBUG log.

    False (and nothing printed) when `exc` is a bug, which the caller should let propagate.
    """
    message = explain(exc, settings)
    if message is None:
        return False
    log.debug("%s: %s", prog, message, exc_info=exc)
    print(f"{prog}: {message}", file=sys.stderr)
    return True


def _chain(exc: BaseException) -> list[BaseException]:
    # Only explicit causes (`raise … from`): an error raised while handling another may be a bug.
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 5:
        seen.append(current)
        current = current.__cause__
    return seen


def _explain_one(exc: BaseException, settings: Settings) -> str | None:
    if isinstance(exc, OperatorError):
        return str(exc)
    if isinstance(exc, DBAPIError):
        return _database(exc, settings)
    if isinstance(exc, SlackApiError):
        return _slack_refused(exc, settings)
    if isinstance(exc, CommandError):
        return f"migrations: {exc}. `atlas-bot db current` shows the database's revision."
    if isinstance(exc, OSError):
        if _raised_in(exc, "slack_sdk"):
            return (
                f"cannot reach Slack's Web API at {settings.slack_api_url} ({_reason(exc)}). "
                "Check the network or SLACK_API_URL."
            )
        if exc.filename is not None:
            return _file(exc, settings)
    return None


def _database(exc: DBAPIError, settings: Settings) -> str | None:
    url = shown_url(settings.database_url)
    reason = _first_line(exc.orig)
    if exc.statement is None or exc.connection_invalidated:
        # Failed while connecting (or the server went away): the statement never ran.
        if settings.is_sqlite:
            return (
                f"cannot open the SQLite database at {url} ({reason}). Check that the path in "
                "DATABASE_URL (or ATLAS_DATA_DIR) is a writable SQLite file."
            )
        reason = reason.rsplit("failed: ", 1)[-1].removeprefix("FATAL:").strip()
        reason = reason[:1].lower() + reason[1:]
        if any(word in reason.lower() for word in UNREACHABLE):
            return (
                f"cannot reach the database at {url} ({reason}). "
                "Is PostgreSQL running? Check DATABASE_URL."
            )
        if "database" in reason and "does not exist" in reason:
            hint = "Create it (createdb) or check the database name in DATABASE_URL."
        elif "password" in reason or "role" in reason or "pg_hba" in reason:
            hint = "Check the user and password in DATABASE_URL."
        else:
            hint = "Check DATABASE_URL."
        return f"cannot connect to the database at {url} ({reason}). {hint}"
    state = getattr(exc.orig, "sqlstate", None)
    if state in NOT_MIGRATED_STATES or any(words in reason for words in NOT_MIGRATED_SQLITE):
        return (
            f"the database at {url} is not set up for this version ({reason}). "
            "Run `atlas-bot db upgrade` first."
        )
    if state == "42501" or "readonly database" in reason:
        return (
            f"the database at {url} refused a change ({reason}). "
            "Give the user in DATABASE_URL the right to create and write tables."
        )
    return None


def _slack_refused(exc: SlackApiError, settings: Settings) -> str | None:
    error = str(exc.response.get("error") or "")
    method = str(exc.response.api_url).rsplit("/", 1)[-1]
    token = "SLACK_APP_TOKEN" if method == "apps.connections.open" else "SLACK_BOT_TOKEN"
    if error in STOP_ERRORS:
        return token_refused(error, token=token)
    if error == "missing_scope":
        needed = exc.response.get("needed") or "a scope"
        return (
            f"{token} lacks {needed}, which {method} needs. Add the scopes in manifest.yml to "
            "the app (OAuth & Permissions), reinstall it and copy the new token."
        )
    if is_slack_outage(exc):
        status = exc.response.status_code
        return (
            f"Slack's Web API at {settings.slack_api_url} is having trouble "
            f"({error or f'HTTP {status}'}). Try again in a few minutes."
        )
    return None


def _file(exc: OSError, settings: Settings) -> str:
    path = Path(exc.filename)
    reason = exc.strerror or type(exc).__name__
    database = make_url(settings.database_url).database if settings.is_sqlite else None
    if database and (path == Path(database) or path in Path(database).parents):
        return (
            f"cannot create the SQLite database at {database} ({reason}: {path}). "
            "Set ATLAS_DATA_DIR (or DATABASE_URL) to a writable directory."
        )
    return f"cannot use {path} ({reason})."


def shown_url(database_url: str) -> str:
    """The database URL as the operator wrote it, without our driver suffix or a password."""
    url = make_url(database_url)
    return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)


def _first_line(error: BaseException | None) -> str:
    lines = str(error).strip().splitlines()
    return lines[0].strip() if lines else type(error).__name__


def _reason(exc: OSError) -> str:
    reason: object = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror[:1].lower() + reason.strerror[1:]
    return str(reason) or type(reason).__name__


def _raised_in(exc: BaseException, package: str) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module == package or module.startswith(package + "."):
            return True
        tb = tb.tb_next
    return False
