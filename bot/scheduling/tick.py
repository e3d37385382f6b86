"""One scheduler tick: plan, close, notify, sync, deliver and remind, team by team, with each
team's office hours and owner check-in.

A plain function of `now` that opens its own sessions and keeps going when one team fails;
`atlas-bot scheduler` calls it every minute and `atlas-bot pulse run` by hand.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from bot.outbound import Caller
from bot.services import check_ins, diagnosis, members, membership, office_hours, pulse
from bot.services.pulse import TickReport, utcnow
from bot.storage import pulse as repo
from bot.storage import teams as team_repo
from bot.storage.db import Database

log = logging.getLogger(__name__)


def tick(
    *,
    db: Database,
    caller: Caller,
    now: datetime | None = None,
    clock: Callable[[], datetime] = utcnow,
    lease_seconds: int = 120,
) -> TickReport:
    """Do everything that is due at `now` for every team with the pulse on."""
    now = now or clock()
    report = TickReport()
    with db.unit_of_work() as session:
        team_ids = [team.id for team in team_repo.pulse_teams(session=session)]
    owner = uuid.uuid4().hex
    for team_id in team_ids:
        try:
            run_team(
                db=db,
                team_id=team_id,
                caller=caller,
                now=now,
                clock=clock,
                report=report,
                owner=owner,
                lease_seconds=lease_seconds,
            )
        except Exception:
            log.exception("the pulse tick failed for team %s; other teams go on", team_id)
            report.failed_teams.append(team_id)
    return report


def run_team(
    *,
    db: Database,
    team_id: int,
    caller: Caller,
    now: datetime,
    clock: Callable[[], datetime],
    report: TickReport,
    owner: str,
    lease_seconds: int,
) -> None:
    """The tick's work for one team."""
    # Who is in the team (the channel or user group), then their time zones: who is due when
    # depends on both. A sync that cannot read the list changes nothing.
    with db.unit_of_work() as session:
        resync = membership.due(team_repo.get(session=session, team_id=team_id), now)
    if resync:
        membership.sync(db=db, team_id=team_id, caller=caller, now=now)
    members.sync_profiles(db=db, team_id=team_id, caller=caller, now=now)
    opened, missed = pulse.plan(db=db, team_id=team_id, now=now)
    report.opened += opened
    report.missed += missed
    closed = pulse.close_due(db=db, team_id=team_id, now=now)
    report.closed += closed
    if closed:  # a round just closed: diagnose on the full week, then the weekly digest
        diagnosis.run_team(db=db, team_id=team_id, caller=caller, now=now, trigger="round_closed")
        diagnosis.digest(db=db, team_id=team_id, caller=caller, now=now)
    pulse.notify_missed(db=db, team_id=team_id, caller=caller, now=now)
    if _rituals(db=db, team_id=team_id, caller=caller, now=now, lease_seconds=lease_seconds):
        return  # Slack said the app is gone
    with db.unit_of_work() as session:
        round_ids = [r.id for r in repo.open_rounds(session=session, team_id=team_id)]
    if not round_ids:
        return
    for round_id in round_ids:
        result = pulse.deliver(
            db=db,
            round_id=round_id,
            caller=caller,
            clock=clock,
            owner=owner,
            lease_seconds=lease_seconds,
        )
        report.fanouts[round_id] = result
        if result.stopped:
            return
        report.reminders += pulse.remind(db=db, round_id=round_id, caller=caller, clock=clock)


def _rituals(
    *, db: Database, team_id: int, caller: Caller, now: datetime, lease_seconds: int
) -> bool:
    """Office hours (plan, announce, remind) and the owner's check-in (plan, send).

    Each is isolated: a failure is logged and the team's pulse work goes on. True when Slack
    said the app is gone.
    """
    try:
        office_hours.plan(db=db, team_id=team_id, now=now)
        for step in (office_hours.announce, office_hours.remind):
            if step(
                db=db, team_id=team_id, caller=caller, now=now, lease_seconds=lease_seconds
            ).stopped:
                return True
    except Exception:
        log.exception("office hours failed for team %s; its pulse goes on", team_id)
    try:
        check_ins.plan(db=db, team_id=team_id, now=now)
        return check_ins.send(db=db, team_id=team_id, caller=caller, now=now).stopped
    except Exception:
        log.exception("the check-in failed for team %s; its pulse goes on", team_id)
    return False
