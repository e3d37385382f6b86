"""Fixtures shared by every test: the databases (SQLite and PostgreSQL), the Slack stand-in,
and the real app served over HTTP."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.context import AppContext
from bot.sandbox import FakeSlack
from bot.sandbox.running import SANDBOX_SECRET_KEY, RunningApp
from bot.settings import load_settings
from bot.storage import migrations
from bot.storage.db import make_engine
from bot.storage.models import Base

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# slack_sdk's Socket Mode client stops its threads by joining them while they sit in a timed
# queue wait, which never times out under libfaketime: such tests cannot run under it.
UNDER_FAKETIME = "faketime" in os.environ.get("LD_PRELOAD", "")
needs_real_timed_waits = pytest.mark.skipif(
    UNDER_FAKETIME,
    reason="slack_sdk's Socket Mode client hangs on close under libfaketime (timed lock waits)",
)
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


# Fixtures that bring a database or a server: a test that uses none of them (directly or through
# another fixture) is in the fast tier, unless its module is marked `servers`.
NEEDS_INFRASTRUCTURE = frozenset({"backend", "postgres_server", "slack", "running_http"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the fast tier (the pure core, builders, parsing and the calendar), and put the tests
    marked `heavy` first so that a parallel run never ends waiting on one of them."""
    items.sort(key=lambda item: item.get_closest_marker("heavy") is None)  # stable
    for item in items:
        if NEEDS_INFRASTRUCTURE.isdisjoint(getattr(item, "fixturenames", ())) and (
            item.get_closest_marker("servers") is None
            and item.get_closest_marker("postgres") is None
        ):
            item.add_marker(pytest.mark.fast)


def _find_postgres() -> str | None:
    url = os.environ.get("ATLAS_TEST_POSTGRES_URL")
    if not url:
        found = subprocess.run(
            [str(ROOT / "scripts" / "ensure-postgres")], capture_output=True, text=True, check=False
        )
        url = found.stdout.strip() or None
    if url is None:
        return None
    try:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception:
        return None
    return url


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A URL to a PostgreSQL server the tests may create databases on."""
    url = _find_postgres()
    if url is None:
        message = (
            "PostgreSQL is not available (no server on 127.0.0.1:5432 and no binaries to start "
            "one); the PostgreSQL variants of the tests are skipped. Set ATLAS_TEST_POSTGRES_URL "
            "to run them."
        )
        if IN_CI:
            pytest.fail("CI=true but " + message, pytrace=False)
        pytest.skip(message)
    yield url


class _PostgresDatabases:
    """Creates uniquely named databases on the server and drops them at the end."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def create(self) -> str:
        name = f"atlas_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as connection:
            for name in self.created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_databases(postgres_server: str) -> Iterator[_PostgresDatabases]:
    """Factory of throwaway PostgreSQL databases for this test session."""
    factory = _PostgresDatabases(postgres_server)
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Per backend, a database migrated to head once per session (filled lazily)."""
    return {}


def _truncate_all(url: str) -> None:
    engine = make_engine(url)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                connection.execute(text(f'DELETE FROM "{name}"'))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each test that uses a database runs once on SQLite and once on PostgreSQL."""
    return request.param


@pytest.fixture
def database_url(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    migrated_templates: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """An empty database migrated to head, on the test's backend."""
    if backend == "sqlite":
        template = migrated_templates.get("sqlite")
        if template is None:
            path = tmp_path_factory.mktemp("template") / "atlas.db"
            template = f"sqlite:///{path}"
            engine = make_engine(template)
            migrations.upgrade(engine)
            engine.dispose()
            migrated_templates["sqlite"] = template
        target = tmp_path / "atlas.db"
        shutil.copyfile(make_url(template).database, target)
        return f"sqlite:///{target}"
    databases: _PostgresDatabases = request.getfixturevalue("postgres_databases")
    url = migrated_templates.get("postgresql")
    if url is None:
        url = databases.create()
        engine = make_engine(url)
        migrations.upgrade(engine)
        engine.dispose()
        migrated_templates["postgresql"] = url
    else:
        _truncate_all(url)
    return url


@pytest.fixture
def empty_database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no tables at all, on the test's backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return request.getfixturevalue("postgres_databases").create()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """The Web API stand-in, with a few people in its workspace."""
    with FakeSlack() as fake:
        fake.add_user("U0OWNER", name="Olivia Owner", tz="America/New_York")
        fake.add_user("U0MEMBER1", name="Mo Member", tz="Europe/Berlin")
        yield fake


@pytest.fixture
def app_context(database_url: str, slack: FakeSlack) -> Iterator[AppContext]:
    """The app's context (settings, database, hand-off threads) on the test's database, its
    Web API calls going to the stand-in; no Bolt app, no server."""
    settings = load_settings(
        _env_file=None,
        slack_bot_token="xoxb-test",
        slack_app_token="",
        slack_api_url=slack.api_url,
        database_url=database_url,
        atlas_secret_key=SANDBOX_SECRET_KEY,
    )
    context = AppContext.create(settings)
    yield context
    context.close()


@pytest.fixture
def running(slack: FakeSlack, database_url: str) -> Iterator[RunningApp]:
    """The real app, its Web API client pointed at the stand-in, taking signed requests through
    its WSGI entry point in this process: the signature check, body limits and Bolt's dispatch
    are the ones HTTP mode runs, without a socket in between. Its Web API pacing waits pass in
    virtual time."""
    with RunningApp(
        slack=slack, database_url=database_url, migrate=False, http=False, virtual_waits=True
    ) as app:
        yield app


@pytest.fixture
def running_http(slack: FakeSlack, database_url: str) -> Iterator[RunningApp]:
    """The real app served over HTTP by waitress on a free local port."""
    with RunningApp(slack=slack, database_url=database_url, migrate=False, http=True) as app:
        yield app
