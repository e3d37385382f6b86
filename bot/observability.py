"""What an operator sees of a running process: structured logs, Prometheus metrics, health.

- One log line per Slack request (`bot.requests`) and per scheduled job run (`bot.jobs`), as
  JSON when the logs go to a collector and as text on a terminal.
- Metrics in one registry of our own (not prometheus_client's global one), served at
  `/metrics`: requests and their ack latency, Web API calls, the listener pools, scheduled jobs,
  and the pulse's open rounds counted from the database at each scrape.
- `/healthz` for the processes without an HTTP endpoint of their own (Socket Mode, the
  scheduler): a small server that answers 200 only while every check of the process passes.

docs/operations.md describes every metric, log field and health check.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any, TextIO
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from pythonjsonlogger.json import JsonFormatter
from slack_bolt import App, BoltContext
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from sqlalchemy import text

from bot.storage import pulse as pulse_repo
from bot.storage.db import Database
from bot.storage.models import DeliveryStatus

log = logging.getLogger(__name__)
request_log = logging.getLogger("bot.requests")
job_log = logging.getLogger("bot.jobs")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# --- metrics ---------------------------------------------------------------------------------
REGISTRY = CollectorRegistry()

REQUESTS = Counter(
    "atlas_requests",
    "Slack requests answered, by kind and the status the app answered with.",
    ["kind", "status"],
    registry=REGISTRY,
)
# Slack gives 3 s for the ack; the buckets are fine where that budget is spent.
ACK_LATENCY = Histogram(
    "atlas_ack_latency_seconds",
    "Time from a Slack request's arrival to the app's answer (the ack).",
    ["kind"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0),
    registry=REGISTRY,
)
WEB_API_CALLS = Counter(
    "atlas_web_api_calls",
    "Web API call attempts made through the paced caller, by method and result.",
    ["method", "outcome"],
    registry=REGISTRY,
)
WEB_API_RATELIMITED = Counter(
    "atlas_web_api_ratelimited",
    "Web API attempts that Slack answered with 429 (rate limited), by method.",
    ["method"],
    registry=REGISTRY,
)
POOL_IN_FLIGHT = Gauge(
    "atlas_listener_pool_in_flight",
    "Tasks submitted to a pool and not finished (running or queued), by pool.",
    ["pool"],
    registry=REGISTRY,
)
POOL_WORKERS = Gauge(
    "atlas_listener_pool_workers",
    "Threads a pool runs tasks on, by pool.",
    ["pool"],
    registry=REGISTRY,
)
JOB_RUNS = Counter(
    "atlas_job_runs",
    "Scheduled job runs, by job and outcome (ok, partial, error).",
    ["job", "outcome"],
    registry=REGISTRY,
)
JOB_DURATION = Histogram(
    "atlas_job_duration_seconds",
    "How long a scheduled job run took.",
    ["job"],
    buckets=(0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0),
    registry=REGISTRY,
)
LAST_TICK = Gauge(
    "atlas_scheduler_last_success_timestamp_seconds",
    "Unix time at which the scheduler's last tick finished without an error.",
    registry=REGISTRY,
)


def count_api_attempt(method: str, outcome: str) -> None:
    """Count one Web API attempt's result (and a 429 on its own counter too)."""
    WEB_API_CALLS.labels(method, outcome).inc()
    if outcome == "ratelimited":
        WEB_API_RATELIMITED.labels(method).inc()


def metrics_response(db: Database | None = None) -> tuple[bytes, str]:
    """The exposition text of every metric (with the database's gauges when `db` is given)."""
    return generate_latest(_Scrape(db)), CONTENT_TYPE_LATEST  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Scrape:
    """The process's registry plus gauges read from the database at scrape time."""

    db: Database | None

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
        if self.db is not None:
            yield from _database_gauges(self.db)


def _database_gauges(db: Database) -> Iterator[Metric]:
    up = GaugeMetricFamily("atlas_database_up", "1 when the database answered this scrape.")
    try:
        with db.unit_of_work() as session:
            open_rounds, deliveries = pulse_repo.open_queue(session=session)
    except Exception as exc:  # a scrape reports, it never fails
        log.warning("metrics: the database did not answer (%s)", type(exc).__name__)
        up.add_metric([], 0)
        yield up
        return
    up.add_metric([], 1)
    yield up
    yield GaugeMetricFamily(
        "atlas_pulse_open_rounds", "Pulse rounds open now (being sent or answered).", open_rounds
    )
    by_status = GaugeMetricFamily(
        "atlas_pulse_open_round_deliveries",
        "Pulse DMs of the open rounds, by ledger status.",
        labels=["status"],
    )
    for status in DeliveryStatus:
        by_status.add_metric([status.value], deliveries.get(status, 0))
    yield by_status


# --- logs ------------------------------------------------------------------------------------
def choose_format(setting: str, stream: TextIO) -> str:
    """ "json" or "text": as set, or for "auto" text on a terminal and JSON anywhere else."""
    if setting in ("json", "text"):
        return setting
    isatty = getattr(stream, "isatty", None)
    return "text" if isatty is not None and isatty() else "json"


def log_handler(log_format: str, stream: TextIO) -> logging.Handler:
    """A handler writing to `stream` as JSON lines ("json") or as plain text (anything else)."""
    handler = logging.StreamHandler(stream)
    if log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                ["levelname", "name", "message"],
                timestamp="time",
                rename_fields={"levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    return handler


# --- requests --------------------------------------------------------------------------------
@dataclass
class RequestLine:
    """What the log line and the metrics say about one Slack request."""

    mode: str  # "http" or "socket"
    request_id: str
    started: float = field(default_factory=time.perf_counter)
    kind: str = "other"  # command, action, view, event, other
    route: str | None = None  # the command, action_id, callback_id or event type
    team_id: str | None = None
    retry: str | None = None  # Slack's retry number when it is resending an event
    status: int | None = None

    def describe(self, body: object) -> None:
        """Fill in the kind, route and team from a parsed payload (any shape, never raises)."""
        self.kind, self.route, team = describe(body)
        self.team_id = self.team_id or team

    def finish(self) -> None:
        """Count the request, observe its latency and write its line."""
        seconds = time.perf_counter() - self.started
        status = self.status or 500
        REQUESTS.labels(self.kind, str(status)).inc()
        ACK_LATENCY.labels(self.kind).observe(seconds)
        outcome = "ok" if status < 400 else "rejected" if status < 500 else "error"
        fields = {
            "request_id": self.request_id,
            "mode": self.mode,
            "kind": self.kind,
            "route": self.route,
            "team_id": self.team_id,
            "status": status,
            "outcome": outcome,
            "duration_ms": round(seconds * 1000, 1),
        }
        if self.retry:
            fields["retry"] = self.retry
        request_log.log(
            logging.WARNING if status >= 500 else logging.INFO,
            "%s %s %s team %s: %d in %.1f ms",
            self.mode,
            self.kind,
            self.route or "-",
            self.team_id or "-",
            status,
            seconds * 1000,
            extra=fields,
        )


_current: ContextVar[RequestLine | None] = ContextVar("atlas_request_line", default=None)


@contextmanager
def observe_request(mode: str, request_id: str | None = None) -> Iterator[RequestLine]:
    """Time a request; on leaving, count it and log its line (an escaping error counts as 500)."""
    line = RequestLine(mode=mode, request_id=request_id or uuid.uuid4().hex[:12])
    token = _current.set(line)
    try:
        yield line
    except BaseException:
        line.status = 500
        raise
    finally:
        _current.reset(token)
        line.finish()


def describe(body: object) -> tuple[str, str | None, str | None]:
    """(kind, route, team id) of a Slack payload; anything unexpected is "other"."""
    if not isinstance(body, dict):
        return "other", None, None
    team = _text(body.get("team_id")) or _text(_field(body, "team", "id"))
    team = team or _text(_field(body, "user", "team_id"))
    if _text(body.get("command")):
        return "command", _text(body["command"]), team
    kind = body.get("type")
    if kind in ("block_actions", "block_suggestion"):
        actions = body.get("actions")
        first = actions[0] if isinstance(actions, list) and actions else None
        route = first.get("action_id") if isinstance(first, dict) else body.get("action_id")
        return "action", _text(route), team
    if kind in ("shortcut", "message_action", "interactive_message"):
        return "action", _text(body.get("callback_id")), team
    if kind in ("view_submission", "view_closed"):
        return "view", _text(_field(body, "view", "callback_id")), team
    if kind == "event_callback":
        return "event", _text(_field(body, "event", "type")), team
    if kind == "url_verification":
        return "event", "url_verification", team
    return "other", _text(kind), team


def _field(body: dict[str, Any], outer: str, inner: str) -> object:
    value = body.get(outer)
    return value.get(inner) if isinstance(value, dict) else None


def _text(value: object) -> str | None:
    # Routes go into log lines: keep them short, whatever a forged payload carries.
    return value[:100] if isinstance(value, str) and value else None


def install(app: App) -> None:
    """Name each request's line from the body Bolt parsed, and give listeners its request id."""
    app.use(_name_request)


def _name_request(body: dict[str, Any], context: BoltContext, next: Callable[[], None]) -> None:
    # The line was opened around the dispatch, in this same thread (HTTP or Socket Mode). Only a
    # request Bolt accepted gets here, so a line never names what an unsigned body claims.
    line = _current.get()
    if line is not None:
        line.describe(body)
        line.team_id = context.team_id or line.team_id  # Bolt knows every payload's shape
        context["request_id"] = line.request_id
    next()


class ObservedSocketModeHandler(SocketModeHandler):
    """Bolt's Socket Mode handler, writing a request line and the metrics for each envelope."""

    def handle(self, client: Any, req: Any) -> None:  # type: ignore[override]
        """Dispatch one envelope to the app and send its ack, timed."""
        with observe_request("socket", req.envelope_id) as line:
            if req.retry_attempt is not None:
                line.retry = str(req.retry_attempt)
            started = time.time()
            response = run_bolt_app(self.app, req)
            line.status = response.status
            send_response(client, req, response, started)


# --- scheduled jobs --------------------------------------------------------------------------
@dataclass
class JobRun:
    """One run of a scheduled job; `fields` (counts, mostly) go into its log line."""

    job: str
    run_id: str
    started: float = field(default_factory=time.perf_counter)
    outcome: str = "ok"  # ok, partial (some of its work failed), error
    fields: dict[str, Any] = field(default_factory=dict)


@contextmanager
def observe_job(job: str) -> Iterator[JobRun]:
    """Time a job run; on leaving, count it and log its line (with the traceback on error)."""
    run = JobRun(job=job, run_id=uuid.uuid4().hex[:12])
    failed = False
    try:
        yield run
    except BaseException as exc:
        failed = isinstance(exc, Exception)
        run.outcome = "error" if failed else "stopped"  # stopped: SIGTERM or Ctrl-C mid-run
        raise
    finally:
        seconds = time.perf_counter() - run.started
        JOB_RUNS.labels(job, run.outcome).inc()
        JOB_DURATION.labels(job).observe(seconds)
        job_log.log(
            logging.ERROR if failed else logging.INFO,
            "%s %s in %.1f ms",
            job,
            run.outcome,
            seconds * 1000,
            exc_info=failed,
            extra={
                **run.fields,
                "job": job,
                "run_id": run.run_id,
                "outcome": run.outcome,
                "duration_ms": round(seconds * 1000, 1),
            },
        )


# --- health ----------------------------------------------------------------------------------
# A check says whether one part of the process is alive, and in a few words why (or why not).
Check = Callable[[], tuple[bool, str]]


def database_check(db: Database) -> Check:
    """The database answers a trivial query."""

    def check() -> tuple[bool, str]:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True, "ok"

    return check


def socket_check(client: Any) -> Check:
    """The Socket Mode connection to Slack is open (slack_sdk's `is_connected()`)."""
    return lambda: (True, "connected") if client.is_connected() else (False, "disconnected")


def run_checks(checks: Mapping[str, Check]) -> tuple[bool, dict[str, str]]:
    """Every check's verdict; a check that raises has failed, with the error's type as reason."""
    results: dict[str, str] = {}
    healthy = True
    for name, check in checks.items():
        try:
            ok, detail = check()
        except Exception as exc:  # report, never raise, from a health check
            ok, detail = False, type(exc).__name__
        healthy = healthy and ok
        results[name] = detail
    return healthy, results


def health_app(
    kind: str, checks: Mapping[str, Check], *, db: Database | None = None
) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    """WSGI app: GET /healthz (200 or 503 with JSON) and GET /metrics."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
            return _answer(start_response, "405 Method Not Allowed", b"Use GET", "text/plain")
        if path == "/healthz":
            ok, results = run_checks(checks)
            data = json.dumps({"ok": ok, "process": kind, **results}).encode()
            status = "200 OK" if ok else "503 Service Unavailable"
            return _answer(start_response, status, data, "application/json")
        if path == "/metrics":
            data, content_type = metrics_response(db)
            return _answer(start_response, "200 OK", data, content_type)
        return _answer(start_response, "404 Not Found", b"Not Found", "text/plain")

    return app


def _answer(
    start_response: Callable[..., Any], status: str, data: bytes, content_type: str
) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(data)))])
    return [data]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a slow check never holds up the next probe, nor the exit


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # probes every few seconds would drown the log


class HealthServer:
    """The health and metrics endpoint of a process, served from a daemon thread."""

    def __init__(self, app: Callable[..., Iterable[bytes]], *, host: str, port: int) -> None:
        self._server = make_server(
            host, port, app, server_class=_Server, handler_class=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="health", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:9090."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()


def start_health_server(
    kind: str,
    port: int,
    checks: Mapping[str, Check],
    *,
    host: str = "0.0.0.0",
    db: Database | None = None,
) -> HealthServer | None:
    """Serve /healthz and /metrics for a `kind` of process on `port` (0: not at all).

    A port already taken is logged and the process goes on without it: the bot's work matters
    more than its probe.
    """
    if port == 0:
        log.info("%s: no health endpoint (HEALTH_PORT=0)", kind)
        return None
    try:
        server = HealthServer(health_app(kind, checks, db=db), host=host, port=port)
    except OSError as exc:
        log.error("%s: could not serve /healthz on port %d (%s)", kind, port, exc)
        return None
    log.info("%s: GET %s/healthz, GET %s/metrics", kind, server.url, server.url)
    return server
