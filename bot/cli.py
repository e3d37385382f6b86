"""The `atlas-bot` command line."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence

from bot.settings import Settings, SettingsError, load_settings

log = logging.getLogger("atlas-bot")


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
    try:
        settings = load_settings()
        settings.configure_logging()
        if args.command == "db":
            return _db(settings, args)
        if args.command == "scheduler":
            return _scheduler(settings)
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
    from bot.context import AppContext
    from bot.scheduling import runner

    settings.require("SLACK_BOT_TOKEN")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    runner.run(AppContext.create(settings))
    return 0


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
    db = Database.from_url(settings.database_url)
    caller = Caller(make_web_client(settings, token.get_secret_value(), retries=False))
    try:
        if args.now:
            started = pulse.start_now(db=db, team_id=args.team, now=utcnow())
            verb = "started" if started.created else "reopened"
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
    from bot.app import create_app, identify
    from bot.context import AppContext
    from bot.storage import migrations

    # `docker stop` sends SIGTERM: leave the way Ctrl-C does, finishing requests in flight.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    http = args.http or not settings.socket_mode
    settings.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET" if http else "SLACK_APP_TOKEN")
    ctx = AppContext.create(settings)
    if not args.no_migrate:
        migrations.upgrade(ctx.db.engine)
    app = create_app(settings, ctx=ctx)
    identify(ctx)
    if http:
        from bot.web import HttpServer, SlackWsgi

        secret = settings.slack_signing_secret
        assert secret is not None
        wsgi = SlackWsgi(app, signing_secret=secret.get_secret_value(), db=ctx.db)
        server = HttpServer(wsgi, host=args.host, port=args.port, threads=settings.http_threads)
        log.info("HTTP mode: POST %s/slack/events, GET %s/healthz", server.url, server.url)
        server.serve()
    else:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        app_token = settings.slack_app_token
        assert app_token is not None
        log.info("Socket Mode: connecting to Slack")
        SocketModeHandler(app, app_token.get_secret_value()).start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
