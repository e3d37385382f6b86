"""`atlas-bot scheduler`: APScheduler runs the tick every minute, in this one process.

Schedules live in our tables, so APScheduler keeps no job store: nothing to pickle, nothing to
lose in a restart, and a missed minute is simply caught up by the next tick.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.app import make_web_client
from bot.context import AppContext
from bot.outbound import Caller
from bot.scheduling.tick import tick

log = logging.getLogger(__name__)


def run(ctx: AppContext, *, interval_seconds: int = 60) -> None:
    """Tick now and then every `interval_seconds` until interrupted."""
    token = ctx.settings.slack_bot_token
    assert token is not None
    caller = Caller(make_web_client(ctx.settings, token.get_secret_value(), retries=False))

    def job() -> None:
        report = tick(db=ctx.db, caller=caller, lease_seconds=ctx.settings.pulse_lease_seconds)
        sent = sum(f.sent for f in report.fanouts.values())
        if sent or report.opened or report.missed or report.closed or report.failed_teams:
            log.info(
                "tick: %d rounds opened, %d missed, %d closed, %d DMs sent, %d reminders, "
                "%d teams failed",
                len(report.opened),
                len(report.missed),
                len(report.closed),
                sent,
                report.reminders,
                len(report.failed_teams),
            )

    scheduler = BlockingScheduler(
        timezone=UTC,
        # One tick at a time; a late tick runs once, not once per missed minute.
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    scheduler.add_job(
        job,
        IntervalTrigger(seconds=interval_seconds),
        next_run_time=datetime.now(UTC),
        id="pulse-tick",
    )
    log.info("scheduler: ticking every %d s", interval_seconds)
    scheduler.start()
