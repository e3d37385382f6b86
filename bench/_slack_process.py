"""The Slack stand-in of `bench.request_path`, in a process of its own and reached over pipes.

Slack is a remote service: answering the app's Web API calls and response_url posts is not work
the app's process does in production, so the `FakeSlack` runs here, apart from the server it
answers. Two pipes lead to it: one from the parent (faults, counts, what was posted) and one
from the server process (the set-up: the workspace's people and the DMs the app sent).
"""

from __future__ import annotations

import multiprocessing
import threading
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from bot.sandbox import FakeSlack, SignedSender
from bot.sandbox.people import Person

# A response_url minted for one click of the burst: `/response/<KEY_PREFIX><n>/msg/...`. The
# stand-in strips the key before handling the post as Slack would, and keeps who was told what.
KEY_PREFIX = "k"
NOWHERE = "http://127.0.0.1:9"  # the stand-in reads the DMs; it never clicks


class _Keyed(FakeSlack):
    """A `FakeSlack` that also keeps the texts posted to each keyed response_url."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.keyed: defaultdict[str, list[str]] = defaultdict(list)
        self._keyed_lock = threading.Lock()

    def handle_response_url(self, body: dict[str, Any], path: str = "") -> None:
        """Keep a keyed post's text under its key, then handle the post as Slack would."""
        parts = path.split("/")
        if len(parts) > 2 and parts[2].startswith(KEY_PREFIX):
            with self._keyed_lock:
                self.keyed[parts[2][len(KEY_PREFIX) :]].append(str(body.get("text", "")))
            path = "/".join(parts[:2] + parts[3:])
        super().handle_response_url(body, path)

    def told(self, text: str) -> list[int]:
        """The keys whose response_url was sent `text`."""
        with self._keyed_lock:
            return [int(key) for key, texts in self.keyed.items() if text in texts]


def _answer(slack: _Keyed, request: tuple[Any, ...]) -> Any:
    """One request from the parent or the server."""
    match request:
        case ("add_users", users, tz):
            for user in users:
                slack.add_user(user, tz=tz)
            return None
        case ("refuse", methods, retry_after):
            for method in methods:
                slack.fail(method, "ratelimited", times=None, retry_after=retry_after)
            return None
        case ("pulse_dms", users):
            dms = {}
            for user in users:
                message = Person(user, slack, SignedSender(NOWHERE, "unused")).latest_pulse()
                if message is None:
                    raise LookupError(f"{user} got no pulse")
                dms[user] = (slack.dm_channel(user), message)
            return dms
        case ("report",):
            return {
                "cpu": time.process_time(),
                "calls": len(slack.calls),
                "ratelimited": slack.ratelimited_count(),
                "responses": dict(Counter(str(r.get("text", "")) for r in slack.responses)),
            }
        case ("told", text):
            return slack.told(text)
    raise ValueError(f"unknown request {request!r}")


def serve(team_id: str, conns: list[Connection]) -> None:
    """Child process: serve the stand-in, answer both pipes until told to stop or both close."""
    with _Keyed(team_id=team_id) as slack:
        for conn in conns:
            conn.send(("ready", slack.base_url))
        live = list(conns)
        while live:
            for conn in wait(live):
                assert isinstance(conn, Connection)
                try:
                    request = conn.recv()
                except (EOFError, OSError):
                    live.remove(conn)
                    continue
                if request == ("stop",):
                    return
                try:
                    conn.send(("ok", _answer(slack, request)))
                except Exception:
                    conn.send(("error", traceback.format_exc()))


# --- a handle on the stand-in, in the parent or in the server ----------------------------------
@dataclass
class SlackStandIn:
    """The stand-in's address (what `RunningApp` reads of a `FakeSlack`) and a pipe to it."""

    team_id: str
    base_url: str
    conn: Connection

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    @classmethod
    def connect(cls, team_id: str, conn: Connection, timeout: float = 120.0) -> SlackStandIn:
        """Wait for the stand-in to listen; a handle on it."""
        if not conn.poll(timeout):
            raise RuntimeError(f"the Slack stand-in did not start within {timeout:.0f} s")
        status, base_url = conn.recv()
        assert status == "ready", status
        return cls(team_id, base_url, conn)

    @property
    def api_url(self) -> str:
        """The Web API base URL to give a WebClient (SLACK_API_URL)."""
        return self.base_url + "/api/"

    def ask(self, *request: Any, timeout: float = 60.0) -> Any:
        """Send one request to the stand-in's process and return its answer."""
        with self._lock:
            self.conn.send(request)
            if not self.conn.poll(timeout):
                raise RuntimeError(f"the Slack stand-in did not answer {request[0]} in time")
            status, detail = self.conn.recv()
        if status != "ok":
            raise RuntimeError(f"the Slack stand-in failed {request[0]}:\n{detail}")
        return detail

    def add_users(self, users: Iterable[str], tz: str) -> None:
        """Add people to the workspace."""
        self.ask("add_users", tuple(users), tz)

    def refuse(self, methods: Iterable[str], retry_after: int) -> None:
        """Answer 429 with `Retry-After: retry_after` to every call of these methods from now."""
        self.ask("refuse", tuple(methods), retry_after)

    def pulse_dms(self, users: Iterable[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        """user -> (DM channel, the newest pulse DM the app sent them)."""
        return self.ask("pulse_dms", tuple(users), timeout=300.0)

    def report(self) -> dict[str, Any]:
        """Its CPU seconds so far, calls, 429s sent, and response_url posts by text."""
        return self.ask("report")

    def told(self, text: str) -> set[int]:
        """The keys of the keyed response_urls that were sent `text`."""
        return set(self.ask("told", text))


class SlackProcess:
    """The parent's side: the stand-in's process, and the pipe end to give the server."""

    def __init__(self, team_id: str) -> None:
        context = multiprocessing.get_context("spawn")
        mine, its_parent = context.Pipe()
        self.for_server, its_server = context.Pipe()
        self._team_id, self._conn = team_id, mine
        self._process = context.Process(
            target=serve, args=(team_id, [its_parent, its_server]), daemon=True
        )
        self._process.start()
        its_parent.close()
        its_server.close()
        self._handle: SlackStandIn | None = None

    @property
    def handle(self) -> SlackStandIn:
        """The parent's handle (waits for the stand-in to listen the first time)."""
        if self._handle is None:
            self._handle = SlackStandIn.connect(self._team_id, self._conn)
        return self._handle

    def stop(self) -> None:
        """Stop the stand-in (killed if it does not end within 10 s)."""
        with suppress(OSError):
            self._conn.send(("stop",))
        self._process.join(10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
        self._conn.close()
        self.for_server.close()
