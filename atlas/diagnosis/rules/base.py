"""The rule registry, stage gating and the few ways a rule builds its finding.

A rule is a plain function from a `TeamSnapshot` to a `Finding`, registered under its mode id
with the threshold and minimum sample it documents (the same words appear in docs/diagnosis.md).
Calling a registered `Rule` applies the stage gate, so no caller can see a rule detect a mode
of a stage the rollout has not reached.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from atlas import lookup
from atlas.diagnosis.model import Finding, Source, Status, TeamSnapshot
from atlas.floor import shown

# The rollout day from which each stage is live. Stage 1 is live whatever the day, even before a
# rollout start is set; stages 2-4 need a start date. Day 30 and day 150 follow the atlas's
# windows ("first 30 days", "months 2-4", "month 6 onward"), the last one a month early so a
# scaling problem is seen as it starts rather than after.
LIVE_FROM_DAY: Mapping[int, int] = {1: 0, 2: 0, 3: 30, 4: 150}

Evaluate = Callable[[TeamSnapshot], Finding]


@dataclass(frozen=True)
class Rule:
    """One mode's rule: how it reads the snapshot and what it documents about itself."""

    mode_id: str
    stage: int
    signal: bool  # False: the mode can only be self-assessed in /atlas check
    threshold: str  # as documented in docs/diagnosis.md
    minimum: str
    evaluate: Evaluate

    def __call__(self, snapshot: TeamSnapshot) -> Finding:
        """The rule's finding, never DETECTED for a stage that is not live yet."""
        return gate(self.evaluate(snapshot), snapshot)


RULES: dict[str, Rule] = {}


def rule(mode_id: str, *, threshold: str, minimum: str) -> Callable[[Evaluate], Evaluate]:
    """Register a signal rule for one mode."""

    def register(evaluate: Evaluate) -> Evaluate:
        _register(Rule(mode_id, _stage(mode_id), True, threshold, minimum, evaluate))
        return evaluate

    return register


def self_assessed(*mode_ids: str) -> None:
    """Register modes that no pulse signal can see: only the owner's mark in /atlas check."""
    for mode_id in mode_ids:
        _register(
            Rule(
                mode_id,
                _stage(mode_id),
                False,
                "marked by the owner in /atlas check",
                "the owner's mark",
                _unmarked(mode_id),
            )
        )


def live_stages(snapshot: TeamSnapshot) -> frozenset[int]:
    """The stages the rollout has reached: only stage 1 before a rollout start is set."""
    day = snapshot.rollout_day
    if day is None or day < 0:
        return frozenset({1})
    return frozenset(stage for stage, first_day in LIVE_FROM_DAY.items() if day >= first_day)


def gate(finding: Finding, snapshot: TeamSnapshot) -> Finding:
    """Hold a detection back to WATCH while its stage is not live, saying why."""
    if finding.status is not Status.DETECTED or finding.stage in live_stages(snapshot):
        return finding
    day = snapshot.rollout_day
    stage = finding.stage
    if day is None or day < 0:
        why = f"Stage {stage} counts from the rollout start, and the rollout has not started."
    else:
        why = f"Stage {stage} counts from day {LIVE_FROM_DAY[stage]}; this is day {day}."
    return replace(finding, status=Status.WATCH, evidence=f"{finding.evidence} {why}")


def confidence(sample: int, needed: int) -> float:
    """0..1, reaching 1 at twice the minimum sample: min(1, n / (2 × minimum))."""
    if needed <= 0:
        return 1.0
    return round(min(1.0, max(0, sample) / (2 * needed)), 2)


@dataclass(frozen=True)
class Need:
    """How many answers a rule needs, and the team's minimum group size below which none count."""

    count: int
    floor: int = 1  # the team's minimum group size: fewer answers than this are never quoted


def need(snapshot: TeamSnapshot, rule_minimum: int) -> Need:
    """The larger of a rule's own minimum and the team's minimum group size."""
    floor = snapshot.min_group_size
    return Need(max(floor, rule_minimum), floor)


def found(
    mode_id: str,
    status: Status,
    evidence: str,
    *,
    sample: int,
    confidence: float,
    severity: float = 0.0,
    individual: bool = False,
) -> Finding:
    """A signal finding for one mode."""
    return Finding(
        mode_id=mode_id,
        stage=_stage(mode_id),
        status=status,
        evidence=evidence,
        sample=sample,
        confidence=confidence,
        severity=round(severity, 3),
        individual=individual,
    )


def not_enough(
    mode_id: str, have: int, needed: Need, *, where: str = "", individual: bool = False
) -> Finding:
    """NOT_ENOUGH_DATA with the count behind it, and the group-size reason when that is why.

    Fewer answers than the team's minimum group size are no data at all: the evidence says so
    without a number, and the finding's sample is 0, so nothing counted from them is shown.
    """
    if not shown(have, needed.floor):
        return found(
            mode_id,
            Status.NOT_ENOUGH_DATA,
            f"Not enough answers to that question yet{where}. The team's minimum group size is "
            f"{max(1, needed.floor)}; smaller groups are never reported.",
            sample=0,
            confidence=0.0,
            individual=individual,
        )
    # At or above the floor and still short: the rule's own minimum is the larger one.
    return found(
        mode_id,
        Status.NOT_ENOUGH_DATA,
        f"Not enough answers yet: {have} of the {needed.count} needed{where}.",
        sample=have,
        confidence=confidence(have, needed.count),
        individual=individual,
    )


def no_data(mode_id: str, evidence: str, *, sample: int = 0) -> Finding:
    """NOT_ENOUGH_DATA for a reason other than a count (no registry, no role named)."""
    return found(mode_id, Status.NOT_ENOUGH_DATA, evidence, sample=sample, confidence=0.0)


def _unmarked(mode_id: str) -> Evaluate:
    def evaluate(snapshot: TeamSnapshot) -> Finding:
        return replace(
            no_data(mode_id, "No signal for this mode in the pulse; mark it in /atlas check."),
            source=Source.SELF_ASSESSMENT,
        )

    evaluate.__doc__ = f"Mode {mode_id} has no signal: only the owner's mark counts."
    return evaluate


def _stage(mode_id: str) -> int:
    mode = lookup.get(mode_id)
    if mode is None:
        raise ValueError(f"{mode_id!r} is not a mode of the atlas")
    return mode.stage


def _register(new: Rule) -> None:
    if new.mode_id in RULES:
        raise ValueError(f"mode {new.mode_id} already has a rule")
    RULES[new.mode_id] = new
