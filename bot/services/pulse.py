"""The weekly pulse: planning rounds, fanning out DMs exactly once, reminders and closing.

The database is the truth about what was sent. Each (round, member) row of the delivery ledger
is claimed before its DM goes out; a send that may or may not have arrived is marked ambiguous
and checked against the DM's history (by message metadata) before anything is sent again.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from atlas.questions import QUESTIONS, pulse_questions
from bot.blocks import pulse as blocks
from bot.blocks.common import Message
from bot.outbound import Caller, CallResult, Outcome, find_in_dm
from bot.scheduling.calendar import (
    WorkCalendar,
    at_local,
    out_of_quiet_hours,
    parse_days,
    personal_due,
    pulse_dates,
    zone,
)
from bot.services import pulse_view, trend, workspaces
from bot.storage import pulse as repo
from bot.storage import teams as team_repo
from bot.storage.db import Database
from bot.storage.models import (
    Delivery,
    DeliveryStatus,
    Member,
    PulseRound,
    RoundStatus,
    Team,
    Workspace,
)
from bot.storage.sealing import Sealer

log = logging.getLogger(__name__)

LOOKBACK_DAYS = 14  # how far back a restarted scheduler looks for rounds it missed
CLOSE_TIME = time(18, 0)  # rounds close at 18:00 team time, `close_after_days` after they open
PROFILE_MAX_AGE = timedelta(hours=12)

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)


@dataclass
class FanoutReport:
    """What one fan-out pass did."""

    sent: int = 0
    failed: int = 0
    ambiguous: int = 0
    retry: int = 0
    reconciled: int = 0
    rate_limited: int = 0
    waiting: int = 0  # due later: their pulse time or quiet hours have not come yet
    stopped: bool = False
    busy: bool = False  # another process holds the round


@dataclass
class TickReport:
    """What one scheduler tick did, per team."""

    opened: list[int] = field(default_factory=list)
    missed: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    fanouts: dict[int, FanoutReport] = field(default_factory=dict)
    reminders: int = 0
    failed_teams: list[int] = field(default_factory=list)


# --- eligibility and timing --------------------------------------------------------------------
def eligible(member: Member, team: Team, round_date: date) -> bool:
    """Whether a member should get this round: active, human, not a guest (unless included),
    and not on pause."""
    if not member.active or member.is_bot or member.is_deleted:
        return False
    if member.is_guest and not team.include_guests:
        return False
    return not (member.paused and (member.paused_until is None or round_date < member.paused_until))


def _quiet(team: Team) -> tuple[time, time]:
    return (team.quiet_start, team.quiet_end)


def member_due(member: Member, team: Team, rnd: PulseRound) -> datetime:
    """When this person gets the round: the pulse time in their own zone, out of quiet hours.

    A round started by hand is due at once (still never inside the person's quiet hours).
    """
    tz = zone(member.timezone, team.timezone)
    if rnd.manual:
        return out_of_quiet_hours(rnd.due_at, tz, *_quiet(team))
    return personal_due(rnd.local_date, team.pulse_time, tz, _quiet(team))


def _calendar(session: Session, team: Team) -> WorkCalendar:
    return WorkCalendar(
        parse_days(team.working_days), team_repo.holidays(session=session, team_id=team.id)
    )


# --- planning ----------------------------------------------------------------------------------
def plan(*, db: Database, team_id: int, now: datetime) -> tuple[list[int], list[int]]:
    """Create the rounds that are due: open if within the catch-up grace, else missed.

    Returns (opened round ids, missed round ids). Keyed by local date: never two for one day.
    """
    opened: list[int] = []
    missed: list[int] = []
    with db.unit_of_work() as session:
        team = team_repo.get(session=session, team_id=team_id)
        if team is None or not team.pulse_enabled:
            return opened, missed
        tz = zone(team.timezone)
        today = now.astimezone(tz).date()
        start = max(today - timedelta(days=LOOKBACK_DAYS), team.created_at.astimezone(tz).date())
        existing = repo.rounds_between(
            session=session, team_id=team.id, start=start, end=today + timedelta(days=1)
        )
        members = [m for m in team_repo.active_members(session=session, team_id=team.id)]
        grace = timedelta(hours=team.catchup_grace_hours)
        for day in pulse_dates(
            start, today + timedelta(days=1), team.pulse_weekday, _calendar(session, team)
        ):
            if day in existing:
                continue
            team_due = at_local(day, team.pulse_time, tz)
            first_due = min(
                (
                    personal_due(
                        day, team.pulse_time, zone(m.timezone, team.timezone), _quiet(team)
                    )
                    for m in members
                ),
                default=team_due,
            )
            if now < min(first_due, team_due):
                continue  # not yet anyone's pulse time
            status = RoundStatus.OPEN if now <= team_due + grace else RoundStatus.MISSED
            rnd = _add_round(session, team, day, team_due, status)
            if rnd is not None:
                (opened if status is RoundStatus.OPEN else missed).append(rnd.id)
    return opened, missed


def _add_round(
    session: Session,
    team: Team,
    day: date,
    due_at: datetime,
    status: RoundStatus,
    *,
    manual: bool = False,
) -> PulseRound | None:
    number = repo.round_count(session=session, team_id=team.id)
    disabled = set(team_repo.disabled_questions(session=session, team_id=team.id))
    if session.info.get("sealer") is None:
        # Without ATLAS_SECRET_KEY a confidential answer could not be sealed: do not ask it.
        disabled |= {q.id for q in QUESTIONS if q.confidential}
    disabled = sorted(disabled)
    questions = pulse_questions(number, disabled=frozenset(disabled))
    rotating = next((q.id for q in questions if q.rotating), None)
    closes = at_local(day + timedelta(days=team.close_after_days), CLOSE_TIME, zone(team.timezone))
    return repo.add_round(
        session=session,
        workspace_id=team.workspace_id,
        team_id=team.id,
        local_date=day,
        number=number,
        status=status,
        rotating_question_id=rotating,
        disabled_questions=disabled,
        due_at=due_at,
        manual=manual,
        closes_at=max(closes, due_at + timedelta(hours=12)),
        closed_at=None if status is RoundStatus.OPEN else due_at,
    )


@dataclass(frozen=True)
class StartResult:
    """The outcome of starting a round by hand."""

    round_id: int
    created: bool
    local_date: date
    closed: bool = False  # today's round has closed: it stays closed, nobody new is pulsed


def start_now(*, db: Database, team_id: int, now: datetime) -> StartResult:
    """Open a round for today (team time), due at once; reuse today's round if it is open.

    A round that has closed stays closed: its figures may already have been read, exported or
    diagnosed, so nobody is added to it. Rounds are one per local day, so the owner can start
    the next one tomorrow. A missed round (nothing was sent) may still be opened by hand.
    """
    with db.unit_of_work() as session:
        team = team_repo.get(session=session, team_id=team_id)
        if team is None:
            raise ValueError(f"No team {team_id}.")
        today = now.astimezone(zone(team.timezone)).date()
        rnd = _add_round(session, team, today, now, RoundStatus.OPEN, manual=True)
        if rnd is not None:
            return StartResult(rnd.id, True, today)
        found = repo.rounds_between(session=session, team_id=team_id, start=today, end=today)
        existing = found[today]
        if existing.status is RoundStatus.CLOSED:
            return StartResult(existing.id, False, today, closed=True)
        if existing.status is not RoundStatus.OPEN:
            existing.status, existing.closed_at = RoundStatus.OPEN, None
            existing.due_at, existing.manual = now, True
            existing.closes_at = max(existing.closes_at, now + timedelta(hours=12))
        return StartResult(existing.id, False, today)


def close_due(*, db: Database, team_id: int, now: datetime) -> list[int]:
    """Close open rounds whose time is up, counting their sealed confidential answers."""
    closed = []
    with db.unit_of_work() as session:
        for rnd in repo.open_rounds(session=session, team_id=team_id):
            if now >= rnd.closes_at:
                rnd.status, rnd.closed_at = RoundStatus.CLOSED, now
                closed.append(rnd.id)
        # The status change goes first: it holds each round's row, so an answer being stored
        # now is either waited for and counted below, or sees the round closed and is refused.
        session.flush()
        for round_id in repo.rounds_with_pending(session=session, team_id=team_id):
            _count_sealed(session, db.sealer, round_id)
        for round_id in closed:
            repo.rewrite_tallies(session=session, round_id=round_id)
        # The figures as they stand at closing are the published ones: any later showing of
        # this round is compared with them (`atlas.published`).
        if closed:
            floor = team_repo.get(session=session, team_id=team_id).min_group_size
            trend.figures(session, [session.get(PulseRound, r) for r in closed], floor)
    return closed


def _count_sealed(session: Session, sealer: Sealer | None, round_id: int) -> None:
    """Turn a closed round's sealed answers into its tallies, all in this one transaction."""
    if sealer is None:
        log.error("round %s has sealed confidential answers and no ATLAS_SECRET_KEY", round_id)
        return
    counts: Counter[tuple[str, int, str]] = Counter()
    taken = []
    for row in repo.pending(session=session, round_id=round_id):
        fields = sealer.open(row.sealed)
        if fields is None or fields.get("round") != round_id:
            log.error("round %s: a sealed answer does not open with this key", round_id)
            continue
        counts[(str(fields["question"]), int(fields["version"]), str(fields["option"]))] += 1
        taken.append(row.id)
    repo.count_confidential(session=session, round_id=round_id, counts=counts, taken=taken)


# --- fan-out -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Target:
    member_id: int
    slack_user_id: str
    delivery_id: int | None  # None: no ledger row yet
    status: DeliveryStatus | None


def deliver(
    *,
    db: Database,
    round_id: int,
    caller: Caller,
    clock: Clock = utcnow,
    owner: str | None = None,
    lease_seconds: int = 120,
) -> FanoutReport:
    """Send the round's due DMs, each exactly once, pacing under Slack's limits."""
    owner = owner or uuid.uuid4().hex
    report = FanoutReport()
    if not _lease(db, round_id, owner, clock(), lease_seconds):
        report.busy = True
        return report
    try:
        if _reconcile(db, round_id, caller, owner, report) is Outcome.STOP:
            return _stop(db, round_id, report)
        targets, report.waiting = _due_targets(db, round_id, clock())
        for target in targets:
            if not _lease(db, round_id, owner, clock(), lease_seconds):
                report.busy = True  # we lost the round to another process: leave it to them
                break
            delivery_id = _claim(db, round_id, target, owner, clock())
            if delivery_id is None:
                continue
            outcome = _send_pulse(db, delivery_id, target.slack_user_id, caller, clock, report)
            if outcome is Outcome.STOP:
                return _stop(db, round_id, report)
    finally:
        with db.unit_of_work() as session:
            repo.release_lease(session=session, round_id=round_id, owner=owner)
    return report


def _lease(db: Database, round_id: int, owner: str, now: datetime, seconds: int) -> bool:
    with db.unit_of_work() as session:
        return repo.take_lease(
            session=session,
            round_id=round_id,
            owner=owner,
            now=now,
            until=now + timedelta(seconds=seconds),
        )


def _due_targets(db: Database, round_id: int, now: datetime) -> tuple[list[_Target], int]:
    """Who is due now, and how many eligible people are due later."""
    with db.unit_of_work() as session:
        rnd = session.get(PulseRound, round_id)
        if rnd is None or rnd.status is not RoundStatus.OPEN or now >= rnd.closes_at:
            return [], 0
        team = session.get(Team, rnd.team_id)
        ledger = {d.member_id: d for d in repo.deliveries(session=session, round_id=round_id)}
        targets, waiting = [], 0
        for member in team_repo.active_members(session=session, team_id=team.id):
            row = ledger.get(member.id)
            if row is None:
                if not eligible(member, team, rnd.local_date):
                    continue
                if member_due(member, team, rnd) <= now:
                    targets.append(_Target(member.id, member.slack_user_id, None, None))
                else:
                    waiting += 1
            elif row.status is DeliveryStatus.RETRY and (row.next_attempt_at or now) <= now:
                targets.append(_Target(member.id, member.slack_user_id, row.id, row.status))
        return targets, waiting


def _claim(db: Database, round_id: int, target: _Target, owner: str, now: datetime) -> int | None:
    with db.unit_of_work() as session:
        if target.delivery_id is not None:
            ok = repo.claim_existing(
                session=session,
                delivery_id=target.delivery_id,
                expected=DeliveryStatus.RETRY,
                owner=owner,
                now=now,
            )
            return target.delivery_id if ok else None
        rnd = session.get(PulseRound, round_id)
        member = session.get(Member, target.member_id)
        team = session.get(Team, rnd.team_id)
        answered_once = repo.answered_questions(session=session, member_id=member.id)
        questions = pulse_questions(
            rnd.number,
            disabled=frozenset(rnd.disabled_questions or ()),
            already_answered_once=answered_once,
        )
        return repo.claim_new(
            session=session,
            workspace_id=rnd.workspace_id,
            round_id=round_id,
            member_id=member.id,
            status=DeliveryStatus.SENDING,
            question_ids=[q.id for q in questions],
            due_at=member_due(member, team, rnd),
            claimed_at=now,
            claimed_by=owner,
            attempts=0,
        )


def _send_pulse(
    db: Database,
    delivery_id: int,
    user_id: str,
    caller: Caller,
    clock: Clock,
    report: FanoutReport,
) -> Outcome:
    with db.unit_of_work() as session:
        delivery = session.get(Delivery, delivery_id)
        message = blocks.pulse_message(pulse_view.build(session, delivery, now=clock()))
    result = _post_dm(caller, user_id, message, "pulse", delivery_id)
    report.rate_limited += result.rate_limited
    _record(db, delivery_id, result, clock(), report)
    return result.outcome


def _post_dm(
    caller: Caller, user_id: str, message: Message, kind: str, delivery_id: int
) -> CallResult:
    """DM a person, tagging the message so that a lost send can be found in the history."""
    return caller.call(
        "chat.postMessage",
        channel=user_id,
        text=message.text,
        blocks=message.blocks,
        metadata=blocks.metadata(kind, delivery_id),
        unfurl_links=False,
    )


def _record(
    db: Database, delivery_id: int, result: CallResult, now: datetime, report: FanoutReport
) -> None:
    with db.unit_of_work() as session:
        row = session.get(Delivery, delivery_id)
        row.attempts += 1
        row.detail = result.error
        if result.outcome is Outcome.OK:
            data = result.data or {}
            row.status, row.sent_at = DeliveryStatus.SENT, now
            row.channel_id, row.message_ts = data.get("channel"), data.get("ts")
            report.sent += 1
        elif result.outcome is Outcome.RETRY:
            # Refused by Slack (5xx, rate limits): not delivered, so a later pass tries again.
            row.status = DeliveryStatus.RETRY
            row.next_attempt_at = now + timedelta(minutes=min(30, 2**row.attempts))
            report.retry += 1
        elif result.outcome is Outcome.AMBIGUOUS:
            row.status = DeliveryStatus.AMBIGUOUS
            report.ambiguous += 1
        elif result.outcome is Outcome.STOP:
            row.status = DeliveryStatus.RETRY  # not delivered; if the app comes back, resume
            row.next_attempt_at = now
        else:
            row.status = DeliveryStatus.FAILED
            report.failed += 1


def _reconcile(
    db: Database, round_id: int, caller: Caller, owner: str, report: FanoutReport
) -> Outcome:
    """Settle rows left in doubt (a crash mid-send, a timeout) by looking in the DM's history."""
    with db.unit_of_work() as session:
        doubtful = [
            (d.id, session.get(Member, d.member_id).slack_user_id, d.claimed_at)
            for d in repo.deliveries(session=session, round_id=round_id)
            if d.status is DeliveryStatus.AMBIGUOUS
            or (d.status is DeliveryStatus.SENDING and d.claimed_by != owner)
        ]
    for delivery_id, user_id, claimed_at in doubtful:
        found = _find_sent(caller, user_id, delivery_id)
        if found is Outcome.STOP:
            return Outcome.STOP
        with db.unit_of_work() as session:
            row = session.get(Delivery, delivery_id)
            if isinstance(found, tuple):
                row.status, row.channel_id, row.message_ts = DeliveryStatus.SENT, *found
                row.sent_at = row.sent_at or claimed_at
                report.reconciled += 1
            elif found is Outcome.OK:  # checked: it never arrived, so it is safe to send
                row.status, row.next_attempt_at = DeliveryStatus.RETRY, None
            else:
                row.status = DeliveryStatus.AMBIGUOUS  # could not check now; try next time
    return Outcome.OK


def _find_sent(caller: Caller, user_id: str, delivery_id: int) -> tuple[str, str] | Outcome:
    """(channel, ts) of our message for this delivery, OK if it is certainly not there,
    or the outcome that stopped us from looking."""
    found = find_in_dm(caller, user_id, "atlas_pulse", {"delivery_id": delivery_id})
    return found if isinstance(found, Outcome) else (found[0], found[1]["ts"])


def _stop(db: Database, round_id: int, report: FanoutReport) -> FanoutReport:
    """The token is dead or the app was removed: stop the workspace's work."""
    report.stopped = True
    with db.unit_of_work() as session:
        rnd = session.get(PulseRound, round_id)
        slack_team_id = session.get(Workspace, rnd.workspace_id).slack_team_id
    workspaces.deactivate(db=db, slack_team_id=slack_team_id)
    log.warning("workspace %s: Slack says the app is gone; its pulse work stops", slack_team_id)
    return report


# --- reminders ---------------------------------------------------------------------------------
def remind(*, db: Database, round_id: int, caller: Caller, clock: Clock = utcnow) -> int:
    """Send the one reminder to those who have not answered; returns how many were sent."""
    sent = 0
    with db.unit_of_work() as session:
        rnd = session.get(PulseRound, round_id)
        team = session.get(Team, rnd.team_id)
        if team.reminder_delay_hours is None or rnd.status is not RoundStatus.OPEN:
            return 0
        now = clock()
        due: list[tuple[int, str]] = []
        for row in repo.deliveries(session=session, round_id=round_id):
            if (
                row.status is not DeliveryStatus.SENT
                or row.responded_at is not None
                or row.reminder_status is not None
                or row.sent_at is None
            ):
                continue
            member = session.get(Member, row.member_id)
            tz = zone(member.timezone, team.timezone)
            at = out_of_quiet_hours(
                row.sent_at + timedelta(hours=team.reminder_delay_hours), tz, *_quiet(team)
            )
            if at <= now < rnd.closes_at:
                due.append((row.id, member.slack_user_id))
    for delivery_id, user_id in due:
        with db.unit_of_work() as session:
            row = repo.delivery_for_update(session=session, delivery_id=delivery_id)
            if row.reminder_status is not None or row.responded_at is not None:
                continue
            row.reminder_status = DeliveryStatus.SENDING
            message = blocks.reminder_message(pulse_view.build(session, row, now=clock()))
        result = _post_dm(caller, user_id, message, "reminder", delivery_id)
        with db.unit_of_work() as session:
            row = session.get(Delivery, delivery_id)
            if result.outcome is Outcome.OK:
                row.reminder_status, row.reminder_ts = DeliveryStatus.SENT, result.data.get("ts")
                sent += 1
            elif result.outcome is Outcome.RETRY:
                row.reminder_status = None  # not delivered: the next tick tries again
            elif result.outcome is Outcome.AMBIGUOUS:
                # A duplicate reminder is worse than a missing one: never retry the unknown.
                row.reminder_status = DeliveryStatus.AMBIGUOUS
            else:
                row.reminder_status = DeliveryStatus.FAILED
        if result.outcome is Outcome.STOP:
            break
    return sent


# --- owner notices -----------------------------------------------------------------------------
def notify_missed(*, db: Database, team_id: int, caller: Caller, now: datetime) -> int:
    """Tell the owner, once, about rounds that were missed (e.g. while the app was down)."""
    with db.unit_of_work() as session:
        team = team_repo.get(session=session, team_id=team_id)
        missed = repo.unnotified_missed(session=session, team_id=team_id)
        if not missed:
            return 0
        ids = [r.id for r in missed]
        days = ", ".join(r.local_date.strftime("%a %-d %b") for r in missed)
        recipients = team_repo.owner_recipients(session=session, team=team)
        text = blocks.missed_rounds_text(team.name, days, team.catchup_grace_hours)
    delivered = not recipients
    for user_id in recipients:
        result = caller.call("chat.postMessage", channel=user_id, text=text)
        delivered = delivered or result.outcome is Outcome.OK
    if not recipients:
        log.warning("team %s missed rounds %s and has no owner to tell", team_id, ids)
    if delivered:
        with db.unit_of_work() as session:
            for rnd in repo.rounds_by_id(session=session, round_ids=ids):
                rnd.owner_notified_at = now
    return len(ids)
