"""The diagnosis: every rule and every mark, one finding per atlas mode, and recovery.

On top of each rule's own finding the engine adds what needs history: `since` (the first round
of the current run of detections), CLEARED (detected as of the previous round, not now), and the
owner's self-assessment marks. "As of a round" means the closed rounds up to it, with `now` at
the end of that round's day, so workflows and check-ins after it do not count either. It also
measures the weekly cadence (recovery step 4) from office hours and check-ins.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time
from statistics import median

from atlas.diagnosis.model import (
    Cadence,
    Diagnosis,
    Finding,
    Mark,
    RecoveryCheck,
    RoundStats,
    Source,
    Status,
    TeamSnapshot,
)
from atlas.diagnosis.rules import RULES, Rule, live_stages
from atlas.diagnosis.rules.signals import closed_rounds, pct, points, today, usage
from atlas.modes import MODES, RECOVERY_STEPS
from atlas.taxonomy import RECOVERY_THRESHOLD

SINCE_LOOKBACK = 12  # rounds walked back to date a detection; older runs say "since" the 12th
RECOVERY_DAYS = 60  # the atlas's recovery window
RECOVERY_USAGE_GAIN = 10  # points: 10 more in every 100 respondents using AI counts as movement
NEXT_STEP = (
    "Sixty days on, nothing has moved. Hand the rollout to a new owner with the time and the "
    "authority to run it, or bring in someone from outside for a fresh look."
)


@dataclass(frozen=True)
class CadenceRule:
    """Recovery step 4: how much of the weekly rhythm has to be back to count as restarted."""

    weeks: int = 4  # the last 4 non-holiday weeks
    office_hours: int = 3  # weeks whose office hours were held with at least one person there
    check_ins: int = 3  # owner check-ins answered


CADENCE = CadenceRule()

__all__ = [
    "CADENCE",
    "RECOVERY_DAYS",
    "RECOVERY_USAGE_GAIN",
    "cadence",
    "diagnose",
    "live_stages",
    "usage_share",
]


def diagnose(snapshot: TeamSnapshot) -> Diagnosis:
    """Every mode's finding for one team, in atlas order, and whether it needs recovery."""
    history = _History(snapshot)
    findings = tuple(
        _with_mark(_finding(RULES[mode.id], snapshot, history), snapshot.marks.get(mode.id))
        for mode in MODES
    )
    per_stage: dict[int, int] = {}
    for f in findings:
        if f.status is Status.DETECTED:
            per_stage[f.stage] = per_stage.get(f.stage, 0) + 1
    recovery = tuple(sorted(s for s, n in per_stage.items() if n >= RECOVERY_THRESHOLD))
    rhythm = cadence(snapshot)
    return Diagnosis(
        findings=findings,
        live_stages=live_stages(snapshot),
        recovery_stages=recovery,
        recovery_plan=RECOVERY_STEPS if recovery else (),
        recovery_check=_recovery_check(snapshot, sum(per_stage.values()), rhythm),
        cadence=rhythm,
    )


def cadence(snapshot: TeamSnapshot) -> Cadence | None:
    """Office hours held and check-ins answered over the last 4 weeks (recovery step 4).

    The snapshot already leaves holiday weeks out of its office hours. None while the team has
    neither office hours nor check-ins on record.
    """
    if snapshot.office_hours is None and snapshot.check_ins is None:
        return None
    day = today(snapshot)
    weeks = sorted(
        (w for w in snapshot.office_hours or () if w.week_of <= day), key=lambda w: w.week_of
    )[-CADENCE.weeks :]
    held = [w for w in weeks if w.held]
    sent = sorted(
        (c for c in snapshot.check_ins or () if c.week_of <= day), key=lambda c: c.week_of
    )[-CADENCE.weeks :]
    attended = sum(1 for w in held if w.attendees >= 1)
    answered = sum(1 for c in sent if c.answered)
    return Cadence(
        weeks=CADENCE.weeks,
        office_hours_held=len(held),
        office_hours_attended=attended,
        median_attendance=float(median(w.attendees for w in held)) if held else None,
        check_ins_answered=answered,
        on_cadence=attended >= CADENCE.office_hours and answered >= CADENCE.check_ins,
    )


def usage_share(snapshot: TeamSnapshot) -> float | None:
    """Share of respondents using AI at all in the latest closed round large enough to report."""
    for r in reversed(closed_rounds(snapshot)):
        counted = usage(r)
        if counted.answered >= max(1, snapshot.min_group_size):
            return counted.share
    return None


class _History:
    """The snapshot as of each of its last closed rounds, built once and shared by every rule."""

    def __init__(self, snapshot: TeamSnapshot) -> None:
        self.rounds = closed_rounds(snapshot)
        first = max(0, len(self.rounds) - SINCE_LOOKBACK)
        # Newest first: (the round, the snapshot as of it).
        self.as_of = [
            (self.rounds[i], _as_of(snapshot, self.rounds, i))
            for i in range(len(self.rounds) - 1, first - 1, -1)
        ]

    def previous(self) -> TeamSnapshot | None:
        """The snapshot without its last closed round."""
        return self.as_of[1][1] if len(self.as_of) > 1 else None


def _as_of(snapshot: TeamSnapshot, rounds: tuple[RoundStats, ...], i: int) -> TeamSnapshot:
    end = datetime.combine(rounds[i].local_date, time.max, tzinfo=snapshot.now.tzinfo)
    return replace(snapshot, rounds=rounds[: i + 1], now=min(snapshot.now, end))


def _finding(rule: Rule, snapshot: TeamSnapshot, history: _History) -> Finding:
    found = rule(snapshot)
    if not rule.signal:
        return found
    if found.status is Status.DETECTED:
        since = today(snapshot)
        for r, then in history.as_of:
            if rule(then).status is not Status.DETECTED:
                break
            since = r.local_date
        return replace(found, since=since)
    previous = history.previous()
    if (
        found.status in (Status.OK, Status.WATCH)
        and previous is not None
        and rule(previous).status is Status.DETECTED
    ):
        return replace(
            found,
            status=Status.CLEARED,
            evidence=f"Detected as of the previous round, no longer. {found.evidence}",
        )
    return found


def _with_mark(found: Finding, mark: Mark | None) -> Finding:
    """The owner's mark: "applies" always detects; "does not apply" never outvotes a signal."""
    if mark is None:
        return found
    on = mark.marked_on.isoformat()
    note = f" Their note: {mark.note.strip()}" if mark.note.strip() else ""
    if mark.applies:
        if found.status is Status.DETECTED:
            return replace(found, evidence=f"{found.evidence} The owner marked it too, on {on}.")
        return replace(
            found,
            status=Status.DETECTED,
            evidence=f"Marked by the owner on {on}.{note}",
            sample=1,
            confidence=1.0,
            since=mark.marked_on,
            severity=1.0,
            source=Source.SELF_ASSESSMENT,
            individual=False,
        )
    if found.source is Source.SELF_ASSESSMENT:
        return replace(
            found,
            status=Status.OK,
            evidence=f"Marked not applicable by the owner on {on}.{note}",
            sample=1,
            confidence=1.0,
        )
    if found.status is Status.NOT_ENOUGH_DATA:
        marked = f" The owner marked it not applicable on {on}."
        return replace(found, evidence=found.evidence + marked)
    return found


def _recovery_check(
    snapshot: TeamSnapshot, detected: int, rhythm: Cadence | None
) -> RecoveryCheck | None:
    window = snapshot.recovery
    if window is None:
        return None
    day = (today(snapshot) - window.opened_on).days
    if day < RECOVERY_DAYS:
        return None
    fewer = detected < window.baseline_detected
    summary = (
        f"Day {day} of the recovery window: {detected} modes detected, against "
        f"{window.baseline_detected} when it opened"
    )
    now_share, then_share = usage_share(snapshot), window.baseline_usage_share
    rose = False
    if now_share is not None and then_share is not None:
        rose = points(now_share, then_share) >= RECOVERY_USAGE_GAIN
        summary += f"; {pct(now_share)} of respondents use AI, against {pct(then_share)}"
    improved = fewer or rose
    summary += "."
    if rhythm is not None:
        summary += f" {rhythm.summary}"
    return RecoveryCheck(
        day=day,
        improved=improved,
        summary=summary,
        next_step=None if improved else NEXT_STEP,
    )
