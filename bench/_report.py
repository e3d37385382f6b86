"""Helpers every benchmark shares: its section of RESULTS.md, machine facts, a throwaway database.

Kept light on purpose (SQLAlchemy is imported only where a database is made), because benchmark
modules are re-imported by every child process they spawn, whose memory may be measured.
"""

from __future__ import annotations

import os
import platform
import subprocess
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILE_HEADER = (
    "# Benchmarks\n\n"
    "Each benchmark owns one section, between `<!-- bench:NAME:start -->` and\n"
    "`<!-- bench:NAME:end -->`, and rewrites only that section. Run them all with `make bench`.\n"
)


def write_section(path: Path, name: str, body: str) -> None:
    """Replace benchmark `name`'s section of `path` (creating the file or section if needed)."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    block = f"{start}\n{body}\n{end}"
    current = path.read_text(encoding="utf-8") if path.exists() else FILE_HEADER
    if start in current and end in current:
        head, rest = current.split(start, 1)
        new = head + block + rest.split(end, 1)[1]
    else:
        new = current.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")


def machine(packages: Iterable[str]) -> dict[str, str]:
    """Facts for a section's **Machine.** line: nproc, python, versions, load and date."""
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "python": f"{platform.python_version()} ({platform.system()} {platform.machine()})",
        "versions": ", ".join(f"{name} {version(name)}" for name in packages),
        "load": ", ".join(f"{value:.2f}" for value in os.getloadavg()),
        "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
    }


@contextmanager
def postgres_database(server_url: str | None) -> Iterator[tuple[str | None, str]]:
    """A throwaway `atlas_bench_<random>` database, dropped at the end; (None, why) if none."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    server_url = server_url or find_postgres()
    if not server_url:
        yield None, "no PostgreSQL server found (scripts/ensure-postgres printed nothing)"
        return
    url = make_url(server_url).set(drivername="postgresql+psycopg")
    admin = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    name = f"atlas_bench_{uuid.uuid4().hex[:12]}"
    created, bench_url = False, None
    try:
        with admin.connect() as connection:
            server_version = connection.execute(text("SHOW server_version")).scalar()
            connection.execute(text(f'CREATE DATABASE "{name}"'))
            created = True
        bench_url = url.set(database=name).render_as_string(hide_password=False)
        note = f"PostgreSQL {server_version}"
    except Exception as exc:
        note = f"PostgreSQL unreachable at {url.render_as_string()} ({type(exc).__name__})"
    try:
        yield bench_url, note
    finally:
        if created:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def find_postgres() -> str | None:
    """A PostgreSQL server URL from the environment or `scripts/ensure-postgres`, else None."""
    for variable in ("ATLAS_BENCH_POSTGRES_URL", "ATLAS_TEST_POSTGRES_URL"):
        if os.environ.get(variable):
            return os.environ[variable]
    script = ROOT / "scripts" / "ensure-postgres"
    if not script.exists():
        return None
    found = subprocess.run([str(script)], capture_output=True, text=True, check=False, timeout=60)
    return found.stdout.strip() or None
