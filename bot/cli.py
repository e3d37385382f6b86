"""The `atlas-bot` command line."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from sqlalchemy import Engine

    from bot.context import AppContext

log = logging.getLogger("atlas-bot")

# Socket Mode's first connection: wait 1 s after a failed try, doubling up to a minute.
SOCKET_RETRY_FIRST_SECONDS = 1.0
SOCKET_RETRY_MAX_SECONDS = 60.0


def build_parser() -> argparse.ArgumentParser:
    """All sub-commands and their options."""
    parser = argparse.ArgumentParser(
        prog="atlas-bot", description="Adoption Atlas: follow an AI rollout from inside Slack."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve", help="run the bot (Socket Mode when SLACK_APP_TOKEN is set, else HTTP)"
    )
    serve.add_argument("--http", action="store_true", help="HTTP mode even if an app token is set")
    serve.add_argument("--host", default="0.0.0.0", help="HTTP listen address (default 0.0.0.0)")
    serve.add_argument("--port", type=_port, default=3000, help="HTTP port (default 3000)")
    serve.add_argument(
        "--no-migrate", action="store_true", help="do not apply pending migrations on start"
    )

    from bot.demo.command import add_parser as add_demo_parser

    add_demo_parser(sub)
    sub.add_parser("scheduler", help="run the pulse scheduler (one process per deployment)")

    purge = sub.add_parser(
        "purge", help="unlink or delete per-person rows older than ATLAS_RETENTION_DAYS now"
    )
    purge.add_argument(
        "--days", type=_days, help="keep this many days instead of ATLAS_RETENTION_DAYS"
    )

    diagnose = sub.add_parser("diagnose", help="run the diagnosis now and alert the owner")
    which = diagnose.add_mutually_exclusive_group(required=True)
    which.add_argument("--team", type=int, help="the team's id")
    which.add_argument("--all", action="store_true", help="every team with the pulse on")

    pulse = sub.add_parser("pulse", help="pulse rounds")
    pulse_sub = pulse.add_subparsers(dest="pulse_command", required=True, metavar="ACTION")
    run = pulse_sub.add_parser("run", help="do a team's due pulse work now")
    run.add_argument("--team", type=int, required=True, help="the team's id")
    run.add_argument("--now", action="store_true", help="start a round now instead of waiting")

    from bot.team_cli import add_parser as add_team_parser

    add_team_parser(sub)

    db = sub.add_parser("db", help="database migrations")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_sub.add_parser("upgrade", help="apply pending migrations")
    upgrade.add_argument("--revision", default="head", help="target revision (default head)")
    db_sub.add_parser("current", help="show the database's revision")
    return parser


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of days") from None
    if not 30 <= days <= 36500:
        raise argparse.ArgumentTypeError("keep between 30 and 36500 days")
    return days


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError("a port is between 1 and 65535")
    return port


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `atlas-bot` console script."""
    args = build_parser().parse_args(argv)
    settings: Settings | None = None
    try:
        settings = load_settings()
        settings.configure_logging()
        if args.command == "db":
            return _db(settings, args)
        if args.command == "scheduler":
            return _scheduler(settings)
        if args.command == "purge":
            return _purge(settings, args)
        if args.command == "diagnose":
            return _diagnose(settings, args)
        if args.command == "pulse":
            return _pulse_run(settings, args)
        if args.command == "team":
            from bot.team_cli import run as run_team_command

            return run_team_command(settings, args)
        if args.command == "demo":
            from bot.demo.command import run as run_demo_command

            return run_demo_command(args)
        return _serve(settings, args)
    except SettingsError as exc:
        print(f"atlas-bot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from bot import operator_errors

        # A database or Slack the operator has to fix: one message. Anything else is a bug.
        if settings is None or not operator_errors.report(exc, settings):
            raise
        return 2


def _db(settings: Settings, args: argparse.Namespace) -> int:
    from bot.storage import migrations
    from bot.storage.db import make_engine

    engine = make_engine(settings.database_url)
    try:
        if args.db_command == "upgrade":
            migrations.upgrade(engine, args.revision)
        print(f"database at revision {migrations.current_revision(engine) or '(empty)'}")
    finally:
        engine.dispose()
    return 0


def _scheduler(settings: Settings) -> int:
    from bot import observability
    from bot.context import AppContext
    from bot.scheduling import runner

    settings.require("SLACK_BOT_TOKEN")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ctx = AppContext.create(settings)
    ticker = runner.Ticker(ctx)
    checks = {"database": observability.database_check(ctx.db), "scheduler": ticker.health}
    observability.start_health_server("scheduler", settings.health_port, checks, db=ctx.db)
    runner.run(ctx, ticker=ticker)
    return 0


def _purge(settings: Settings, args: argparse.Namespace) -> int:
    """The nightly retention purge, by hand."""
    from bot.services import retention
    from bot.services.pulse import utcnow
    from bot.storage.db import Database

    days = args.days or settings.atlas_retention_days
    db = Database.from_url(settings.database_url, secret_key=settings.secret_key)
    try:
        report = retention.purge(db=db, now=utcnow(), days=days)
    finally:
        db.dispose()
    print(
        f"kept {days} days (cutoff {report.cutoff:%Y-%m-%d %H:%M} UTC): "
        f"{report.pulses_unlinked} pulse deliveries unlinked, {report.rsvps} office-hours replies "
        f"deleted, {report.check_ins} check-ins cleared of names, "
        f"{report.memberships_removed} past memberships deleted"
        + (f"; failed for teams {report.failed_teams}" if report.failed_teams else "")
    )
    return 1 if report.failed_teams else 0


def _diagnose(settings: Settings, args: argparse.Namespace) -> int:
    from bot.context import AppContext
    from bot.services import diagnosis
    from bot.services.pulse import utcnow

    settings.require("SLACK_BOT_TOKEN")
    ctx = AppContext.create(settings)
    try:
        if args.all:
            results = diagnosis.run_all(
                db=ctx.db, caller=ctx.caller, now=utcnow(), trigger="manual"
            )
        else:
            results = [
                diagnosis.run_team(
                    db=ctx.db, team_id=args.team, caller=ctx.caller, now=utcnow(), trigger="manual"
                )
            ]
    finally:
        ctx.db.dispose()
    for result in results:
        state = "ok" if result.ok else f"failed: {result.error}"
        modes = ", ".join(result.detected) or "none"
        print(f"team {result.team_id}: {state}; detected {modes}; {result.alerts} alerts sent")
    return 0 if all(r.ok for r in results) else 1


def _pulse_run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import make_web_client
    from bot.outbound import Caller
    from bot.scheduling.tick import run_team
    from bot.services import pulse
    from bot.services.pulse import TickReport, utcnow
    from bot.storage.db import Database

    settings.require("SLACK_BOT_TOKEN")
    token = settings.slack_bot_token
    assert token is not None
    db = Database.from_url(settings.database_url, secret_key=settings.secret_key)
    caller = Caller(make_web_client(settings, token.get_secret_value(), retries=False))
    try:
        if args.now:
            started = pulse.start_now(db=db, team_id=args.team, now=utcnow())
            verb = "started" if started.created else "left closed" if started.closed else "reused"
            print(f"round {started.round_id} of {started.local_date} {verb}")
        report = TickReport()
        run_team(
            db=db,
            team_id=args.team,
            caller=caller,
            now=utcnow(),
            clock=utcnow,
            report=report,
            owner=f"cli-{os.getpid()}",
            lease_seconds=settings.pulse_lease_seconds,
        )
    except ValueError as exc:
        print(f"atlas-bot: {exc}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    for round_id, fanout in report.fanouts.items():
        print(
            f"round {round_id}: {fanout.sent} sent, {fanout.retry} to retry, {fanout.failed} "
            f"failed, {fanout.ambiguous} ambiguous, {fanout.reconciled} recovered, "
            f"{fanout.rate_limited} rate limits waited out, {fanout.waiting} due later (their "
            "pulse time or quiet hours)"
            + (" — stopped: the app was removed from the workspace" if fanout.stopped else "")
            + (" — another process is sending this round" if fanout.busy else "")
        )
    return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import create_app, identify, make_web_client
    from bot.context import AppContext
    from bot.storage import migrations

    # `docker stop` sends SIGTERM: leave the way Ctrl-C does, finishing requests in flight.
    # The exit is raised wherever the main thread is, which may be a garbage collector callback
    # that swallows it; the flag lets Socket Mode's wait below notice the request anyway.
    stopping: list[int] = []

    def leave(signum: int, _frame: object) -> None:
        stopping.append(signum)
        sys.exit(0)

    signal.signal(signal.SIGTERM, leave)
    http = args.http or not settings.socket_mode
    settings.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET" if http else "SLACK_APP_TOKEN")
    ctx = AppContext.create(settings)
    try:
        if args.no_migrate:
            _require_migrated(settings, ctx.db.engine)
        else:
            migrations.upgrade(ctx.db.engine)
        app = create_app(settings, ctx=ctx)
        identified = identify(ctx)
        if http:
            from bot.web import HttpServer, SlackWsgi

            if not identified:
                # Only recorded workspaces are served: keep asking Slack who we are.
                ctx.background.submit(_identify_until_done, ctx)

            secret = settings.slack_signing_secret
            assert secret is not None
            wsgi = SlackWsgi(app, signing_secret=secret.get_secret_value(), db=ctx.db)
            server = HttpServer(wsgi, host=args.host, port=args.port, threads=settings.http_threads)
            log.info("HTTP mode: POST %s/slack/events, GET %s/healthz", server.url, server.url)
            server.serve()
        else:
            from bot import observability

            app_token = settings.slack_app_token
            assert app_token is not None
            log.info("Socket Mode: connecting to Slack")
            # One try per attempt: _connect_socket_mode does the waiting, and says so.
            client = make_web_client(settings, retries=False)
            handler = observability.ObservedSocketModeHandler(
                app, app_token.get_secret_value(), web_client=client
            )
            checks = {
                "database": observability.database_check(ctx.db),
                "socket": observability.socket_check(handler.client),
            }
            observability.start_health_server(
                "socket-mode", settings.health_port, checks, db=ctx.db
            )
            _connect_socket_mode(handler, settings)
            if not identified:
                identify(ctx)
            log.info("Socket Mode: connected to Slack")
            while not stopping:  # slack_sdk's threads serve, and reconnect when dropped
                time.sleep(1)
    finally:
        ctx.close()  # hand-offs waiting on Slack give up: the exit does not hang on them
    return 0


def _identify_until_done(ctx: AppContext) -> None:
    """Retry auth.test with backoff (1 s doubling to a minute) until the workspace is recorded."""
    from bot.app import identify
    from bot.background import interruptible_sleep

    sleep, delay = interruptible_sleep(ctx.stopping), 1.0
    while not identify(ctx):
        sleep(delay)
        delay = min(delay * 2, 60.0)
    log.info("identified the workspace with Slack")


def _require_migrated(settings: Settings, engine: Engine) -> None:
    """Refuse to serve on a database that migrations have not brought to this version."""
    from bot import operator_errors
    from bot.storage import migrations

    current, head = migrations.current_revision(engine), migrations.head_revision()
    if current == head:
        return
    where = f"the database at {operator_errors.shown_url(settings.database_url)}"
    state = "has no tables yet" if current is None else f"is at revision {current}, not {head}"
    raise operator_errors.OperatorError(
        f"{where} {state}. Run `atlas-bot db upgrade` first, or start without --no-migrate."
    )


def _connect_socket_mode(handler: SocketModeHandler, settings: Settings) -> None:
    """Open the Socket Mode connection, trying again with backoff while Slack cannot be reached.

    Once connected, slack_sdk's client reconnects by itself whenever the connection drops; only
    the first connection is ours to retry. A token Slack refuses is raised at once.
    """
    from bot import operator_errors

    delay = SOCKET_RETRY_FIRST_SECONDS
    while True:
        try:
            handler.connect()
            return
        except Exception as exc:
            if not operator_errors.is_slack_outage(exc):
                raise
            message = operator_errors.explain(exc, settings)
            log.warning("Socket Mode: %s Retrying in %.0f s.", message, delay)
            log.debug("Socket Mode connection failed", exc_info=exc)
            time.sleep(delay)
            delay = min(delay * 2, SOCKET_RETRY_MAX_SECONDS)


if __name__ == "__main__":
    sys.exit(main())
