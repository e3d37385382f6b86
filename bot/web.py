"""HTTP mode: a WSGI app (Slack's endpoint, a health check, metrics) served by waitress.

Bolt parses a request body before it checks the signature, so a malformed body could end as a
500. Here the signature is checked first and parsing errors become 400s.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot import observability, replay
from bot.context import ACK_BUDGET_SECONDS, RECEIVED_KEY
from bot.errors import new_error_id
from bot.observability import RequestLine
from bot.storage.db import Database, budget

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
MAX_BODY_BYTES = 1_000_000  # Slack's own payloads are far smaller

StartResponse = Callable[..., Any]


class SlackWsgi:
    """WSGI entry point: POST /slack/events for Slack, GET /healthz for load balancers, GET
    /metrics for Prometheus."""

    def __init__(self, app: App, *, signing_secret: str, db: Database) -> None:
        self.app = app
        self.db = db
        self.verifier = SignatureVerifier(signing_secret)
        self.replays = replay.ReplayGuard(db)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        # The request's time budget counts from its arrival (waitress stamps it before it
        # queues for a thread), or from now when served by something else.
        received = environ.get(ARRIVED_KEY) or time.monotonic()
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            return self._health(start_response)
        if path == METRICS_PATH and method in ("GET", "HEAD"):
            data, content_type = observability.metrics_response(self.db)
            start_response(
                _status(200), [("Content-Type", content_type), ("Content-Length", str(len(data)))]
            )
            return [data]
        # Every other request gets a log line and is counted, with the status it was answered.
        with observability.observe_request("http") as line:

            def answer(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
                line.status = int(status.split(" ", 1)[0])
                return start_response(status, headers, *exc_info)

            return self._slack(environ, answer, line, received)

    def _slack(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        line: RequestLine,
        received: float,
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
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
        line.retry = headers.get("x-slack-retry-num")
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return _plain(start_response, 400, "Request body is not UTF-8")
        if not self._signed(body, headers):
            return _plain(start_response, 401, "Invalid request signature or timestamp")
        try:
            request = BoltRequest(
                body=body,
                query=environ.get("QUERY_STRING", ""),
                headers=headers,
                context={RECEIVED_KEY: received},
            )
        except (ValueError, TypeError, AttributeError, KeyError):
            return _plain(start_response, 400, "Malformed request body")
        problem = payload_problem(request.body)
        if problem is not None:
            return _plain(start_response, 400, f"Malformed payload: {problem}")
        ticket = replay.Ticket(replayed=False)
        try:
            # What Bolt does before a listener runs (authorize, middleware) keeps to the budget
            # too; a listener's own thread gets its own (bot/listeners/guard.py).
            with budget(received + ACK_BUDGET_SECONDS):
                # A signed request seen before is a replay: answered, never dispatched.
                ticket = self.replays.admit(headers)
                if ticket.replayed:
                    return _bolt(start_response, replay.ignored(request.body))
                response = self.app.dispatch(request)
        except Exception:
            ticket.release()
            error_id = new_error_id()
            log.exception("dispatch failed (error id %s)", error_id)
            return _plain(start_response, 503, f"Temporarily unavailable (error id {error_id})")
        ticket.settle(response.status)
        return _bolt(start_response, response)

    def _signed(self, body: str, headers: dict[str, str]) -> bool:
        # slack_sdk reads the timestamp with int(): "abc", "12.5" or "" would raise, not refuse;
        # and hmac.compare_digest raises on a signature with a non-ASCII character in it.
        timestamp = headers.get("x-slack-request-timestamp", "")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            return False
        if not headers.get("x-slack-signature", "").isascii():
            return False
        return self.verifier.is_valid_request(body, headers)

    def _health(self, start_response: StartResponse) -> Iterable[bytes]:
        ok, results = observability.run_checks({"database": observability.database_check(self.db)})
        data = json.dumps({"ok": ok, **results}).encode()
        start_response(
            _status(200 if ok else 503),
            [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
        )
        return [data]


def payload_problem(body: Any) -> str | None:
    """What makes a signed body unusable for Bolt and the listeners, or None when its shape is
    sound.

    Slack always sends the same envelope for each kind of request: the ids are short strings of
    letters and digits, the fields the listeners read are of one type. A body of another shape
    (a forged or broken one) gets a 400 here instead of reaching code that indexes into it.
    What the fields say (an unknown id, a date out of range) is for the listeners to judge.
    """
    if not isinstance(body, dict):
        return "not an object"
    kind = body.get("type")
    if kind is not None and not isinstance(kind, str):
        return "type is not a string"
    problem = _envelope_problem(body)
    if problem is None and "command" in body:
        problem = _command_problem(body)
    if problem is None and kind in _KIND_CHECKS:
        problem = _KIND_CHECKS[kind](body)
    return problem


_SLACK_ID = re.compile(r"[A-Za-z0-9]{1,32}")  # T…, U…, C…, E…: never longer, never other signs
_EVENT_ID = re.compile(r"[A-Za-z0-9]{1,64}")
_ID_FIELDS = ("team_id", "user_id", "enterprise_id", "channel_id")
_OBJECT_FIELDS = ("user", "team", "channel", "container", "message", "view", "enterprise")
_TEXT_FIELDS = ("command", "text", "callback_id", "trigger_id", "response_url", "token")
_ELEMENT_TEXT = (
    "action_id",
    "block_id",
    "type",
    "value",
    "action_ts",
    "selected_user",
    "selected_conversation",
    "selected_channel",
    "selected_date",
    "selected_time",
    "initial_user",
)


def _envelope_problem(body: dict[str, Any]) -> str | None:
    """The fields every kind of request may carry."""
    for key in _TEXT_FIELDS:
        if key in body and not isinstance(body[key], str):
            return f"{key} is not a string"
    for key in _OBJECT_FIELDS:
        value = body.get(key)
        if isinstance(value, dict) or (key == "enterprise" and isinstance(value, str)):
            continue
        if value is not None or (key == "view" and key in body):  # Bolt reads a null view too
            return f"{key} is not an object"
    actions = body.get("actions", [{}])  # Bolt reads the first action of any kind of body
    if not isinstance(actions, list) or not actions:
        return "actions must be a non-empty list"
    if not all(isinstance(a, dict) for a in actions):
        return "each action must be an object"
    ids = [(key, body.get(key)) for key in _ID_FIELDS]
    for key in ("user", "team", "channel", "enterprise"):
        if isinstance(body.get(key), dict):
            ids += [
                (f"{key}.id", body[key].get("id")),
                (f"{key}.team_id", body[key].get("team_id")),
            ]
    authorizations = body.get("authorizations")
    if authorizations is not None:
        if not isinstance(authorizations, list) or not all(
            isinstance(a, dict) for a in authorizations
        ):
            return "authorizations is not a list of objects"
        ids += [(f"authorizations.{k}", a.get(k)) for a in authorizations for k in _ID_FIELDS]
    return _ids_problem(ids)


def _ids_problem(ids: list[tuple[str, Any]]) -> str | None:
    for key, value in ids:
        if value is None or value == "":
            continue
        if not isinstance(value, str) or not _SLACK_ID.fullmatch(value):
            return f"{key} is not a Slack id"
    return None


def _command_problem(body: dict[str, Any]) -> str | None:
    for key in ("command", "user_id", "team_id", "trigger_id"):
        if not body.get(key):
            return f"a command needs its {key}"
    return None


def _actions_problem(body: dict[str, Any]) -> str | None:
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions:
        return "actions must be a non-empty list"
    for action in actions:
        if not isinstance(action, dict) or not isinstance(action.get("action_id"), str):
            return "each action needs an action_id"
        problem = _element_problem(action)
        if problem is not None:
            return problem
    return _user_problem(body) or _message_problem(body) or _view_problem(body.get("view"))


def _view_submission_problem(body: dict[str, Any]) -> str | None:
    view = body.get("view")
    if not isinstance(view, dict):
        return "view needs a type"
    return _user_problem(body) or _view_problem(view)


def _view_problem(view: Any) -> str | None:
    if view is None:
        return None
    if not isinstance(view, dict) or not isinstance(view.get("type"), str):
        return "view needs a type"
    if view["type"] == "workflow_step":  # retired steps from apps, which Bolt would read
        return "workflow steps are not served"
    for key in ("id", "callback_id", "private_metadata", "hash"):
        if key in view and not isinstance(view[key], str):
            return f"view {key} is not a string"
    state = view.get("state")
    if state is None:
        return None
    values = state.get("values") if isinstance(state, dict) else None
    if not isinstance(values, dict) or not all(
        isinstance(block, dict) and all(isinstance(e, dict) for e in block.values())
        for block in values.values()
    ):
        return "view state values must be objects of objects"
    for block in values.values():
        for element in block.values():
            problem = _element_problem(element)
            if problem is not None:
                return problem
    return None


def _element_problem(element: dict[str, Any]) -> str | None:
    """An action, or an input's state: its fields are strings, its options objects."""
    for key in _ELEMENT_TEXT:
        if element.get(key) is not None and not isinstance(element[key], str):
            return f"{key} is not a string"
    options = element.get("selected_options") or []
    chosen = element.get("selected_option")
    if not isinstance(options, list) or (chosen is not None and not isinstance(chosen, dict)):
        return "selected options must be objects"
    for option in [*options, *([chosen] if chosen is not None else [])]:
        if not isinstance(option, dict) or not isinstance(option.get("value"), str):
            return "each selected option needs a value"
    people = element.get("selected_users") or []
    if not isinstance(people, list) or not all(isinstance(p, str) for p in people):
        return "selected_users is not a list of ids"
    return None


def _user_problem(body: dict[str, Any]) -> str | None:
    user = body.get("user")
    if not isinstance(user, dict) or not user.get("id"):
        return "an interaction needs the user's id"
    return None


def _message_problem(body: dict[str, Any]) -> str | None:
    message = body.get("message")
    if message is None:
        return None
    if not isinstance(message.get("blocks", []), list):
        return "message blocks is not a list"
    if not isinstance(message.get("text", ""), str):
        return "message text is not a string"
    return None


def _event_problem(body: dict[str, Any]) -> str | None:
    event = body.get("event")
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        return "event needs a type"
    event_id = body.get("event_id")
    if event_id is not None and not (isinstance(event_id, str) and _EVENT_ID.fullmatch(event_id)):
        return "event_id is not a Slack event id"
    ids: list[tuple[str, Any]] = []
    for key in ("user", "channel"):  # an id, or (team_join, channel_created) an object
        value = event.get(key)
        ids.append((f"event.{key}", value.get("id") if isinstance(value, dict) else value))
    for key in ("team", "inviter", "subteam_id"):
        ids.append((f"event.{key}", event.get(key)))
    for key in ("added_users", "removed_users"):
        people = event.get(key)
        if people is not None and not isinstance(people, list):
            return f"event.{key} is not a list"
        ids += [(f"event.{key}", p) for p in people or []]
    return _ids_problem(ids)


def _retired_problem(body: dict[str, Any]) -> str | None:
    return "workflow steps are not served"


_KIND_CHECKS = {
    "workflow_step_edit": _retired_problem,
    "block_actions": _actions_problem,
    "view_submission": _view_submission_problem,
    "view_closed": _view_submission_problem,
    "event_callback": _event_problem,
}


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


ARRIVED_KEY = "atlas.arrived"  # in the WSGI environ: time.monotonic() when the request came in


def _stamped_channel() -> type:
    """waitress's connection class, with each request stamped as its first bytes arrive.

    A request may wait in waitress's queue for a free thread; Slack's 3 seconds are running all
    the while, so the app's time budget must count from the arrival, not from the start of the
    WSGI call.
    """
    from waitress.channel import HTTPChannel
    from waitress.parser import HTTPRequestParser
    from waitress.task import WSGITask

    class StampedParser(HTTPRequestParser):
        def __init__(self, adj: Any) -> None:
            super().__init__(adj)
            self.arrived = time.monotonic()

    class StampedTask(WSGITask):
        def get_environment(self) -> dict[str, Any]:
            environ = super().get_environment()
            environ.setdefault(ARRIVED_KEY, getattr(self.request, "arrived", None))
            return environ

    class StampedChannel(HTTPChannel):
        parser_class = StampedParser
        task_class = StampedTask

    return StampedChannel


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
        # Each connection the server accepts is made from this class (one server, one socket).
        self._server.channel_class = _stamped_channel()
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
