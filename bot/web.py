"""HTTP mode: a WSGI app (Slack's endpoint plus a health check) served by waitress.

Bolt parses a request body before it checks the signature, so a malformed body could end as a
500. Here the signature is checked first and parsing errors become 400s.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text

from bot.storage.db import Database

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1_000_000  # Slack's own payloads are far smaller

StartResponse = Callable[..., Any]


class SlackWsgi:
    """WSGI entry point: POST /slack/events for Slack, GET /healthz for load balancers."""

    def __init__(self, app: App, *, signing_secret: str, db: Database) -> None:
        self.app = app
        self.db = db
        self.verifier = SignatureVerifier(signing_secret)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            return self._health(start_response)
        if path != EVENTS_PATH:
            return _plain(start_response, 404, "Not Found")
        if method != "POST":
            return _plain(start_response, 405, "Use POST", [("Allow", "POST")])
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _plain(start_response, 400, "Bad Content-Length")
        if length > MAX_BODY_BYTES:
            return _plain(start_response, 413, "Request body too large")
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        headers = _headers(environ)
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return _plain(start_response, 400, "Request body is not UTF-8")
        if not self._signed(body, headers):
            return _plain(start_response, 401, "Invalid request signature or timestamp")
        try:
            request = BoltRequest(body=body, query=environ.get("QUERY_STRING", ""), headers=headers)
        except (ValueError, TypeError, AttributeError, KeyError):
            return _plain(start_response, 400, "Malformed request body")
        problem = payload_problem(request.body)
        if problem is not None:
            return _plain(start_response, 400, f"Malformed payload: {problem}")
        try:
            response = self.app.dispatch(request)
        except Exception:
            error_id = uuid.uuid4().hex[:10]
            log.exception("dispatch failed (error id %s)", error_id)
            return _plain(start_response, 500, f"Internal error {error_id}")
        return _bolt(start_response, response)

    def _signed(self, body: str, headers: dict[str, str]) -> bool:
        # slack_sdk reads the timestamp with int(): "abc", "12.5" or "" would raise, not refuse.
        timestamp = headers.get("x-slack-request-timestamp", "")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            return False
        return self.verifier.is_valid_request(body, headers)

    def _health(self, start_response: StartResponse) -> Iterable[bytes]:
        try:
            with self.db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            status, body = 200, {"ok": True, "database": "ok"}
        except Exception as exc:  # report, never raise, from a health check
            status, body = 503, {"ok": False, "database": type(exc).__name__}
        data = json.dumps(body).encode()
        start_response(
            _status(status),
            [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
        )
        return [data]


def payload_problem(body: Any) -> str | None:
    """What makes a signed body unusable for Bolt's matchers, or None when its shape is sound.

    Slack never sends these shapes; a forged or broken one gets a 400 instead of reaching code
    that indexes into it.
    """
    if not isinstance(body, dict):
        return "not an object"
    kind = body.get("type")
    if kind is not None and not isinstance(kind, str):
        return "type is not a string"
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            return "actions must be a non-empty list"
        if not all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions):
            return "each action needs an action_id"
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("type"), str):
            return "view needs a type"
        if not isinstance(view.get("callback_id", ""), str):
            return "view callback_id is not a string"
    if kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return "event needs a type"
    for key in ("command", "text", "user_id", "team_id", "callback_id"):
        if key in body and not isinstance(body[key], str):
            return f"{key} is not a string"
    for key in ("user", "team", "channel", "container"):
        if key in body and body[key] is not None and not isinstance(body[key], dict):
            return f"{key} is not an object"
    return None


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    return headers


def _status(code: int) -> str:
    return f"{code} {HTTPStatus(code).phrase}"


def _plain(
    start_response: StartResponse,
    code: int,
    message: str,
    extra: list[tuple[str, str]] | None = None,
) -> Iterable[bytes]:
    data = message.encode()
    start_response(
        _status(code),
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(data))),
            *(extra or []),
        ],
    )
    return [data]


def _bolt(start_response: StartResponse, response: BoltResponse) -> Iterable[bytes]:
    data = response.body.encode() if isinstance(response.body, str) else response.body
    headers = [
        (name, value)
        for name, values in response.headers.items()
        if name.lower() != "content-length"
        for value in values
    ]
    headers.append(("Content-Length", str(len(data))))
    start_response(_status(response.status), headers)
    return [data]


class HttpServer:
    """waitress serving a WSGI app; `start()` runs it in a thread (tests), `serve()` blocks."""

    def __init__(self, wsgi: Callable[..., Any], *, host: str, port: int, threads: int) -> None:
        from waitress import create_server

        self._server = create_server(
            wsgi,
            host=host,
            port=port,
            threads=threads,
            backlog=1024,
            connection_limit=1000,
            channel_timeout=30,
            ident="adoption-atlas",
        )
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:3000."""
        return f"http://{self._server.effective_host}:{self._server.effective_port}"

    def serve(self) -> None:
        """Serve until interrupted."""
        self._server.run()

    def start(self) -> HttpServer:
        """Serve in a background thread until `stop()`."""
        self._thread = threading.Thread(target=self._loop, name="waitress", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        from waitress import wasyncore

        # waitress's own run() loops until its socket map is empty; polling in short slices
        # lets stop() end the loop cleanly instead of closing sockets under a running select.
        while not self._stopping.is_set():
            wasyncore.loop(timeout=0.05, map=self._server._map, use_poll=True, count=1)

    def stop(self) -> None:
        """Stop accepting, let in-flight requests finish, free the port."""
        from waitress import wasyncore

        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        wasyncore.close_all(self._server._map)
