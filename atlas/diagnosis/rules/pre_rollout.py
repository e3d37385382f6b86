"""Stage 1, pre-rollout: the owner (1.1); every other stage-1 mode is the owner's own call."""

from __future__ import annotations

from dataclasses import dataclass

from atlas.diagnosis.model import Finding, Status, TeamSnapshot
from atlas.diagnosis.rules.base import confidence, found, rule, self_assessed
from atlas.diagnosis.rules.signals import today


@dataclass(frozen=True)
class OwnerCheckIns:
    """1.1: how many of the owner's last weekly check-ins may go unanswered."""

    window: int = 4  # the last 4 check-ins sent
    detect_missed: int = 3
    watch_missed: int = 2


OWNER = OwnerCheckIns()


@rule(
    "1.1",
    threshold=(
        f"no owner named; or the owner left ≥ {OWNER.detect_missed} of the last "
        f"{OWNER.window} weekly check-ins unanswered (watch: {OWNER.watch_missed})"
    ),
    minimum=f"none for the role; {OWNER.window} check-ins sent for the check-in part",
)
def no_named_owner(snapshot: TeamSnapshot) -> Finding:
    """Nobody owns the rollout, or the owner has stopped answering the weekly check-in."""
    if not snapshot.roles.get("owner"):
        return found(
            "1.1",
            Status.DETECTED,
            "Nobody is named as the rollout's owner.",
            sample=1,
            confidence=1.0,
            severity=float(OWNER.window),  # as bad as missing every check-in
        )
    if snapshot.check_ins is None:
        return found("1.1", Status.OK, "An owner is named.", sample=1, confidence=1.0)
    sent = sorted(
        (c for c in snapshot.check_ins if c.week_of <= today(snapshot)), key=lambda c: c.week_of
    )
    if len(sent) < OWNER.window:
        return found(
            "1.1",
            Status.OK,
            f"An owner is named. {len(sent)} weekly check-ins sent so far; "
            f"{OWNER.window} are needed to judge them.",
            sample=len(sent),
            confidence=confidence(len(sent), OWNER.window),
        )
    answered = sum(1 for c in sent[-OWNER.window :] if c.answered)
    missed = OWNER.window - answered
    if missed >= OWNER.detect_missed:
        status = Status.DETECTED
    elif missed >= OWNER.watch_missed:
        status = Status.WATCH
    else:
        status = Status.OK
    return found(
        "1.1",
        status,
        f"The owner answered {answered} of the last {OWNER.window} weekly check-ins.",
        sample=OWNER.window,
        confidence=confidence(len(sent), OWNER.window),
        severity=float(missed),
    )


self_assessed("1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8")
