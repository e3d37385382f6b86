"""Stage 2, launch: shipping (2.1), measuring (2.4), kickoff (2.5), prompts (2.6), training (2.7).

The two rules about named roles' own use, 2.2 and 2.3, live in `roles.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from atlas.diagnosis.model import Finding, Status, TeamSnapshot, Workflow
from atlas.diagnosis.rules.base import confidence, found, need, no_data, not_enough, rule
from atlas.diagnosis.rules.signals import (
    answered,
    answers,
    closed_rounds,
    count,
    in_round,
    latest_asked,
    of,
    pct,
    plural,
    reaches_floor,
    today,
)


@dataclass(frozen=True)
class Share:
    """A share of answers: detected at or above `detect`, watched at or above `watch`."""

    detect: float
    watch: float
    min_sample: int = 5


SHIP_BY_DAY = 30  # 2.1: the atlas's deadline for a first workflow in real use
KICKOFF = Share(detect=0.40, watch=0.25)  # 2.5: first heard via Slack, or not at all
PROMPTS = Share(detect=0.50, watch=0.30)  # 2.6: generic templates, or no prompts
TRAINING = Share(detect=0.50, watch=0.30)  # 2.7: generic training, or none


def shipped(snapshot: TeamSnapshot) -> list[Workflow]:
    """Workflows in the registry that have shipped by the snapshot's date."""
    return [
        w
        for w in snapshot.workflows or ()
        if w.shipped_on is not None and w.shipped_on <= today(snapshot)
    ]


@rule(
    "2.1",
    threshold=(
        f"from day {SHIP_BY_DAY}: no workflow in the registry shipped; without a registry, every "
        "answered check-in says nothing shipped"
    ),
    minimum="a rollout start, and the registry or one answered check-in",
)
def no_shipped_workflow(snapshot: TeamSnapshot) -> Finding:
    """Day 30 has come and nothing is in real use."""
    day = snapshot.rollout_day
    if day is None:
        return no_data("2.1", "No rollout start date is set, so day 30 cannot be placed.")
    if day < SHIP_BY_DAY:
        done = len(shipped(snapshot))
        so_far = ""
        if snapshot.workflows is not None:
            so_far = f" {plural(done, 'workflow')} shipped so far."
        return found(
            "2.1",
            Status.OK,
            f"Day {day} of {SHIP_BY_DAY}: a first workflow is not due yet.{so_far}",
            sample=len(snapshot.workflows or ()),
            confidence=1.0,
        )
    severity = float(1 + (day - SHIP_BY_DAY) // SHIP_BY_DAY)  # one step per month overdue
    if snapshot.workflows is not None:
        live = shipped(snapshot)
        listed = len(snapshot.workflows)
        if live:
            return found(
                "2.1",
                Status.OK,
                f"{len(live)} of {listed} workflows in the registry have shipped.",
                sample=listed,
                confidence=1.0,
            )
        return found(
            "2.1",
            Status.DETECTED,
            f"Day {day}, and nothing in the registry has shipped "
            f"({plural(listed, 'workflow')} listed).",
            sample=listed,
            confidence=1.0,
            severity=severity,
        )
    told = [
        c
        for c in snapshot.check_ins or ()
        if c.answered and c.shipped_something is not None and c.week_of <= today(snapshot)
    ]
    if not told:
        return no_data(
            "2.1", "The workflow registry is not in use and no check-in has said what shipped."
        )
    if any(c.shipped_something for c in told):
        return found(
            "2.1",
            Status.OK,
            "The owner's check-ins report a shipped workflow.",
            sample=len(told),
            confidence=confidence(len(told), 1),
        )
    return found(
        "2.1",
        Status.DETECTED,
        f"Day {day}, and every answered check-in ({len(told)}) says nothing has shipped.",
        sample=len(told),
        confidence=confidence(len(told), 1),
        severity=severity,
    )


@rule(
    "2.4",
    threshold="at least one shipped workflow and none has a baseline (some without: watch)",
    minimum="the registry and 1 shipped workflow",
)
def no_baseline(snapshot: TeamSnapshot) -> Finding:
    """Shipped workflows without a before-AI measurement to compare against."""
    if snapshot.workflows is None:
        return no_data("2.4", "The workflow registry is not in use.")
    live = shipped(snapshot)
    if not live:
        return no_data("2.4", "No workflow has shipped yet, so there is nothing to measure.")
    missing = sum(1 for w in live if w.minutes_before is None)
    if missing == len(live):
        status = Status.DETECTED
        evidence = (
            f"{plural(len(live), 'shipped workflow')} and not one baseline: nobody recorded how "
            "long the work took before AI."
        )
    elif missing:
        status = Status.WATCH
        evidence = f"{missing} of {len(live)} shipped workflows have no baseline."
    else:
        status = Status.OK
        evidence = f"All {len(live)} shipped workflows have a baseline."
    return found(
        "2.4",
        status,
        evidence,
        sample=len(live),
        confidence=confidence(len(live), 1),
        severity=float(missing),
    )


def _graded(share: float, bounds: Share) -> Status:
    if share >= bounds.detect:
        return Status.DETECTED
    return Status.WATCH if share >= bounds.watch else Status.OK


@rule(
    "2.5",
    threshold=(
        f"first heard via a Slack message or not at all ≥ {pct(KICKOFF.detect)} "
        f"(watch ≥ {pct(KICKOFF.watch)}), the rounds added up where at least the team's "
        "minimum group size answered"
    ),
    minimum=f"{KICKOFF.min_sample} answers, or the team's minimum group size if larger",
)
def learned_via_slack(snapshot: TeamSnapshot) -> Finding:
    """Too many first met the rollout as a Slack message, or have not met it at all."""
    needed = need(snapshot, KICKOFF.min_sample)
    slack = heard = n = 0
    for r in closed_rounds(snapshot):  # asked once per person, so the rounds add up
        if not reaches_floor(snapshot, r, "first_heard"):
            continue  # too few answered it that round for their answers to count at all
        tally = answers("first_heard")(r)
        slack += count(tally, "slack")
        heard += count(tally, "not_heard")
        n += answered(r, "first_heard")
    if n < needed.count:
        return not_enough("2.5", n, needed)
    share = of(slack + heard, n)
    return found(
        "2.5",
        _graded(share, KICKOFF),
        f"{slack} of {n} people first heard of the rollout from a Slack message and {heard} had "
        f"not heard of it ({pct(share)}).",
        sample=n,
        confidence=confidence(n, needed.count),
        severity=share,
    )


def _latest_share(
    snapshot: TeamSnapshot, mode_id: str, qid: str, keys: tuple[str, ...], bounds: Share, said: str
) -> Finding:
    needed = need(snapshot, bounds.min_sample)
    latest = latest_asked(closed_rounds(snapshot), qid, needed.count)
    if latest.round is None:
        return not_enough(mode_id, latest.n, needed)
    k = count(latest.tally, *keys)
    share = of(k, latest.n)
    return found(
        mode_id,
        _graded(share, bounds),
        f"{k} of {latest.n} {said} ({pct(share)}){in_round(latest.round)}.",
        sample=latest.n,
        confidence=confidence(latest.n, needed.count),
        severity=share,
    )


@rule(
    "2.6",
    threshold=(
        f"generic templates or no prompts ≥ {pct(PROMPTS.detect)} "
        f"(watch ≥ {pct(PROMPTS.watch)}), latest round that asked"
    ),
    minimum=f"{PROMPTS.min_sample} answers, or the team's minimum group size if larger",
)
def generic_prompts(snapshot: TeamSnapshot) -> Finding:
    """Prompts come from generic templates, not the team's own work."""
    return _latest_share(
        snapshot,
        "2.6",
        "prompt_source",
        ("generic", "none"),
        PROMPTS,
        "said their prompts are generic templates or that they use none",
    )


@rule(
    "2.7",
    threshold=(
        f"generic training or none ≥ {pct(TRAINING.detect)} "
        f"(watch ≥ {pct(TRAINING.watch)}), latest round that asked"
    ),
    minimum=f"{TRAINING.min_sample} answers, or the team's minimum group size if larger",
)
def capability_training(snapshot: TeamSnapshot) -> Finding:
    """Training showed what AI can do, not how to do people's own work with it."""
    return _latest_share(
        snapshot,
        "2.7",
        "training_fit",
        ("generic", "none"),
        TRAINING,
        "said their AI training was generic or that they have had none",
    )
