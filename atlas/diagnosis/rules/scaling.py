"""Stage 4, scaling: knowledge in one head (4.1) and a lean towards lock-in (4.4).

4.2 and 4.3 have no pulse signal. 4.4 only ever watches: whether one main tool is lock-in or a
sound choice is the owner's judgement, so it is detected only when the owner marks it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from atlas.diagnosis.model import Finding, Status, TeamSnapshot
from atlas.diagnosis.rules.adoption import tools_named
from atlas.diagnosis.rules.base import (
    confidence,
    found,
    need,
    no_data,
    not_enough,
    rule,
    self_assessed,
)
from atlas.diagnosis.rules.launch import shipped
from atlas.diagnosis.rules.signals import GO_TO, answered, closed_rounds, in_round, of, pct, then


@dataclass(frozen=True)
class OneHead:
    """4.1: how many of those naming a go-to person name the same one."""

    detect: float = 0.50
    watch: float = 0.35
    min_sample: int = 5  # people who named someone
    registry_share: float = 2 / 3  # one owner for this share of the shipped workflows…
    registry_min: int = 3  # …of at least this many: a watch on its own, evidence with the pulse


@dataclass(frozen=True)
class LockIn:
    """4.4: one tool named by nearly every tool user, and no second one to speak of."""

    rounds: int = 2
    main: float = 0.90
    second: float = 0.10
    min_sample: int = 5  # tool users per round


ONE_HEAD = OneHead()
LOCK_IN = LockIn()


@rule(
    "4.1",
    threshold=(
        f"one person named by ≥ {pct(ONE_HEAD.detect)} of those who name someone "
        f"(watch ≥ {pct(ONE_HEAD.watch)}), last round; one person owning ≥ "
        f"{pct(ONE_HEAD.registry_share)} of ≥ {ONE_HEAD.registry_min} shipped workflows is a "
        "watch on its own"
    ),
    minimum=(
        f"{ONE_HEAD.min_sample} people naming someone, or the team's minimum group size if larger"
    ),
)
def knowledge_in_one_head(snapshot: TeamSnapshot) -> Finding:
    """Everyone goes to the same one person for AI help (or one person owns every workflow)."""
    return _with_registry(_go_to_one_head(snapshot), snapshot)


def _registry_one_head(snapshot: TeamSnapshot) -> tuple[int, int] | None:
    """(owned by the top owner, shipped with an owner) when one person owns most of them."""
    owners = [w.owner_user_id for w in shipped(snapshot) if w.owner_user_id]
    if len(owners) < ONE_HEAD.registry_min:
        return None
    top = max(owners.count(o) for o in set(owners))
    return (top, len(owners)) if of(top, len(owners)) >= ONE_HEAD.registry_share else None


def _with_registry(finding: Finding, snapshot: TeamSnapshot) -> Finding:
    """The registry's view: more evidence for a detection, a watch on its own."""
    owned = _registry_one_head(snapshot)
    if owned is None:
        return finding
    top, total = owned
    note = f"{top} of {total} shipped workflows in the registry are owned by one person."
    if finding.status in (Status.DETECTED, Status.WATCH):
        return replace(finding, evidence=f"{finding.evidence} {note}")
    evidence = note if finding.status is Status.NOT_ENOUGH_DATA else f"{finding.evidence} {note}"
    return found(
        "4.1",
        Status.WATCH,
        evidence,
        sample=total,
        confidence=confidence(total, ONE_HEAD.registry_min),
        severity=of(top, total),
    )


def _go_to_one_head(snapshot: TeamSnapshot) -> Finding:
    needed = need(snapshot, ONE_HEAD.min_sample)
    rounds = closed_rounds(snapshot)
    if not rounds:
        return not_enough("4.1", 0, needed)
    last = rounds[-1]
    named = {who: n for who, n in last.go_to.items() if n > 0}
    n = answered(last, GO_TO) if named else 0
    if n < needed.count:
        return not_enough("4.1", n, needed, where=f" in the round of {last.local_date}")
    leads = set(snapshot.roles.get("ai_lead", ()))
    # On a tie the AI lead is the one reported: it is the case the atlas warns about.
    top, top_n = max(named.items(), key=lambda item: (item[1], item[0] in leads))
    share = of(top_n, n)
    if share >= ONE_HEAD.detect:
        status = Status.DETECTED
    elif share >= ONE_HEAD.watch:
        status = Status.WATCH
    else:
        status = Status.OK
    # A person is only ever identified by role, never by who they are.
    who = "the same person (the AI lead)" if top in leads else "one person"
    return found(
        "4.1",
        status,
        f"{top_n} of {n} who named someone go to {who}{in_round(last)}.",
        sample=n,
        confidence=confidence(n, needed.count),
        severity=share,
    )


@rule(
    "4.4",
    threshold=(
        f"last {LOCK_IN.rounds} rounds: one tool named by ≥ {pct(LOCK_IN.main)} of tool users "
        f"and no other above {pct(LOCK_IN.second)}: watch only (detected when marked)"
    ),
    minimum=(
        f"{LOCK_IN.min_sample} tool users in each of the last {LOCK_IN.rounds} rounds, or the "
        "team's minimum group size if larger"
    ),
)
def vendor_lock_in(snapshot: TeamSnapshot) -> Finding:
    """The team leans on a single tool: a question for the owner, never a detection."""
    needed = need(snapshot, LOCK_IN.min_sample)
    rounds = closed_rounds(snapshot)[-LOCK_IN.rounds :]
    if len(rounds) < LOCK_IN.rounds:
        return no_data(
            "4.4", f"Not enough rounds yet: {len(rounds)} of the {LOCK_IN.rounds} needed."
        )
    shares: list[tuple[str, int, int, float]] = []  # main tool, its count, tool users, 2nd share
    for r in rounds:
        tally, n = tools_named(r)
        if n < needed.count:
            return not_enough("4.4", n, needed, where=in_round(r))
        ranked = sorted(tally.items(), key=lambda item: -item[1])
        second = of(ranked[1][1], n) if len(ranked) > 1 else 0.0
        shares.append((ranked[0][0], ranked[0][1], n, second))
    leaning = len({main for main, *_ in shares}) == 1 and all(
        of(k, n) >= LOCK_IN.main and second <= LOCK_IN.second for _, k, n, second in shares
    )
    counts = then(*(f"{k} of {n}" for _, k, n, _ in shares))
    if leaning:
        status = Status.WATCH
        evidence = (
            f"In each of the last {LOCK_IN.rounds} rounds one tool was named by at least "
            f"{pct(LOCK_IN.main)} of tool users ({counts}) and no other by more than "
            f"{pct(LOCK_IN.second)}. Whether that is lock-in is the owner's call: mark it in "
            "/atlas check."
        )
    else:
        status = Status.OK
        seconds = then(*(pct(second) for *_, second in shares))
        evidence = (
            f"In the last {LOCK_IN.rounds} rounds the most named tool reached {counts} tool "
            f"users, and the next one {seconds}."
        )
    sample = min(n for *_, n, _ in shares)
    return found(
        "4.4",
        status,
        evidence,
        sample=sample,
        confidence=confidence(sample, needed.count),
        severity=min(of(k, n) for _, k, n, _ in shares),
    )


self_assessed("4.2", "4.3")
