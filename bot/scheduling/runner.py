"""`atlas-bot scheduler`: APScheduler runs the tick every minute, in this one process.

Schedules live in our tables, so APScheduler keeps no job store: nothing to pickle, nothing to
lose in a restart, and a missed minute is simply caught up by the next tick.

Each tick writes one job line and its metrics (`bot.observability`), and the `Ticker` remembers
when a tick last finished well, which the process's `/healthz` reports.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot import observability
from bot.app import make_web_client
from bot.context import AppContext
from bot.outbound import Caller
from bot.scheduling.tick import tick
from bot.services import retention

log = logging.getLogger(__name__)

JOB = "pulse-tick"
PURGE_JOB = "retention-purge"
# The nightly purge: a fixed UTC time, away from the hour and from most teams' working day.
PURGE_HOUR_UTC = 3
PURGE_MINUTE = 17
# The scheduler is unhealthy once this many intervals pass without a tick finishing well...
MISSED_TICKS = 3
# ...unless a tick is still running and started less than this long ago: a fan-out waiting out
# Slack's rate limits can take minutes, and is alive all the while.
LONGEST_TICK_SECONDS = 15 * 60


class Ticker:
    """The scheduler's job: one tick, logged and measured, remembering its last success.

    `clock` (monotonic seconds) is injectable so that a test can let minutes pass at once.
    """

    def __init__(
        self,
        ctx: AppContext,
        *,
        caller: Caller | None = None,
        interval_seconds: int = 60,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ctx = ctx
        if caller is None:
            token = ctx.settings.slack_bot_token
            assert token is not None
            caller = Caller(make_web_client(ctx.settings, token.get_secret_value(), retries=False))
        self.caller = caller
        self.interval_seconds = interval_seconds
        self._clock = clock
        self._started = clock()
        self.last_success: float | None = None  # on `clock`
        self.running_since: float | None = None

    def __call__(self) -> None:
        """Run one tick. An error is logged with its job line; the next tick tries again."""
        self.running_since = self._clock()
        try:
            with observability.observe_job(JOB) as run:
                report = tick(
                    db=self.ctx.db,
                    caller=self.caller,
                    lease_seconds=self.ctx.settings.pulse_lease_seconds,
                )
                run.fields.update(
                    opened=len(report.opened),
                    missed=len(report.missed),
                    closed=len(report.closed),
                    sent=sum(f.sent for f in report.fanouts.values()),
                    reminders=report.reminders,
                    failed_teams=len(report.failed_teams),
                )
                if report.failed_teams:
                    run.outcome = "partial"  # the others went on; each failure is logged
        except Exception:
            return  # its job line carries the traceback
        finally:
            self.running_since = None
        self.last_success = self._clock()
        observability.LAST_TICK.set_to_current_time()

    def health(self) -> tuple[bool, str]:
        """Alive while ticks keep finishing (or the one running has not run for too long)."""
        now = self._clock()
        limit = MISSED_TICKS * self.interval_seconds
        if self.running_since is not None and now - self.running_since < LONGEST_TICK_SECONDS:
            return True, f"tick running for {now - self.running_since:.0f} s"
        if self.last_success is None:
            waited = now - self._started
            return waited < limit, f"no tick finished in {waited:.0f} s since start"
        age = now - self.last_success
        return age < limit, f"last tick finished {age:.0f} s ago"


class Purger:
    """The nightly job: purge per-person rows older than ATLAS_RETENTION_DAYS, logged and measured.

    `clock` gives the time the purge counts back from, so that a test can freeze it.
    """

    def __init__(
        self, ctx: AppContext, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.ctx = ctx
        self._clock = clock

    def __call__(self) -> retention.PurgeReport | None:
        """Run one purge. An error is logged with its job line; tomorrow's run tries again."""
        try:
            with observability.observe_job(PURGE_JOB) as run:
                report = retention.purge(
                    db=self.ctx.db,
                    now=self._clock(),
                    days=self.ctx.settings.atlas_retention_days,
                )
                run.fields.update(
                    unlinked=report.pulses_unlinked,
                    rsvps=report.rsvps,
                    check_ins=report.check_ins,
                    memberships=report.memberships_removed,
                    failed_teams=len(report.failed_teams),
                )
                if report.failed_teams:
                    run.outcome = "partial"
        except Exception:
            return None  # its job line carries the traceback
        return report


def run(ctx: AppContext, *, interval_seconds: int = 60, ticker: Ticker | None = None) -> None:
    """Tick now and then every `interval_seconds` (the ticker's, when given) until interrupted."""
    ticker = ticker or Ticker(ctx, interval_seconds=interval_seconds)
    scheduler = BlockingScheduler(
        timezone=UTC,
        # One tick at a time; a late tick runs once, not once per missed minute.
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    scheduler.add_job(
        ticker,
        IntervalTrigger(seconds=ticker.interval_seconds),
        next_run_time=datetime.now(UTC),
        id=JOB,
    )
    scheduler.add_job(
        Purger(ticker.ctx),
        CronTrigger(hour=PURGE_HOUR_UTC, minute=PURGE_MINUTE, timezone=UTC),
        id=PURGE_JOB,
    )
    log.info(
        "scheduler: ticking every %d s; purging old per-person rows daily at %02d:%02d UTC",
        ticker.interval_seconds,
        PURGE_HOUR_UTC,
        PURGE_MINUTE,
    )
    scheduler.start()
