"""Helpers every benchmark shares: its section of RESULTS.md, machine facts, a throwaway database.

Kept light on purpose (SQLAlchemy is imported only where a database is made), because benchmark
modules are re-imported by every child process they spawn, whose memory may be measured.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import resource
import subprocess
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
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


def peak_mib() -> float:
    """This process's own peak resident memory so far (VmHWM; ru_maxrss where there is no /proc).

    Not ru_maxrss on Linux: a spawned child inherits its parent's peak there (exec folds the
    forking process's high-water mark into it), so every child would report at least the parent.
    """
    with suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _child(fn: Callable[..., object], args: tuple[object, ...], conn: object) -> None:
    """Child process: run `fn(*args)`; send back its result or the error."""
    try:
        conn.send(("ok", fn(*args)))  # type: ignore[attr-defined]
    except BaseException:
        conn.send(("error", traceback.format_exc()))  # type: ignore[attr-defined]
    finally:
        conn.close()  # type: ignore[attr-defined]


def run_in_child(
    fn: Callable[..., object], args: tuple[object, ...], *, label: str, timeout: float
) -> object:
    """Run `fn(*args)` in a spawned process (so its peak memory is its own) and return its
    result; past `timeout` it is killed and TimeoutError is raised."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(fn, args, theirs), daemon=True)
    process.start()
    theirs.close()
    try:
        if not ours.poll(timeout):
            raise TimeoutError(f"{label}: no result after {timeout:.0f} s")
        try:
            status, payload = ours.recv()
        except EOFError:
            raise RuntimeError(f"{label}: the measuring process died") from None
        if status != "ok":
            raise RuntimeError(f"{label} failed:\n{payload}")
        return payload
    finally:
        process.join(10)
        if process.is_alive():
            process.terminate()
            process.join(5)
        ours.close()
