"""Stage 3, adoption: sprawl (3.1), quality (3.2), resistance (3.3), leakage (3.4), owners (3.5).

3.6, cost overrun, has no pulse signal: only the owner's mark counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from atlas.diagnosis.model import Finding, RoundStats, Status, TeamSnapshot
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
from atlas.diagnosis.rules.signals import (
    UNNOTICED,
    Tally,
    answered,
    answers,
    closed_rounds,
    count,
    in_round,
    latest_asked,
    of,
    pct,
    plural,
    points,
    usage,
)


@dataclass(frozen=True)
class Sprawl:
    """3.1: many tools in use and none of them the team's main one."""

    detect_tools: int = 4
    watch_tools: int = 3
    main_tool: float = 0.50  # a tool named by this share of tool users is the main one
    min_sample: int = 5


@dataclass(frozen=True)
class Quality:
    """3.2: problems in AI output that reached a customer or colleague."""

    detect: float = 0.20  # "once" + "more than once"
    watch: float = 0.10  # or any "more than once"
    min_sample: int = 5


@dataclass(frozen=True)
class Resistance:
    """3.3: people worried or burdened, while use does not grow."""

    sentiment: float = 0.30  # "worried about my job" + "extra work, little gain"
    growth_points: float = 5  # use has grown when its share rose by 5 points or more
    lookback: int = 3  # compared with the round 3 closed rounds earlier (or the oldest of 3)
    min_sample: int = 5


@dataclass(frozen=True)
class Leakage:
    """3.4: confidential tallies of pasting confidential data into unapproved tools."""

    detect_yes: int = 1
    watch_unsure: float = 0.30
    min_sample: int = 3  # the smallest group size a team can set


SPRAWL = Sprawl()
QUALITY = Quality()
RESISTANCE = Resistance()
LEAKAGE = Leakage()


def tools_named(r: RoundStats) -> tuple[Tally, int]:
    """One round's tools question: mentions per tool, and how many people named any.

    The people, not the mentions, are the group the floor is tested against. No tool is
    counted by more people than named one.
    """
    n = answered(r, "ai_tools")
    tally = {key: min(k, n) for key, k in answers("ai_tools")(r).items() if k > 0}
    return (tally, n) if tally else ({}, 0)


@rule(
    "3.1",
    threshold=(
        f"≥ {SPRAWL.detect_tools} tools in use and none named by ≥ {pct(SPRAWL.main_tool)} of "
        f"tool users (watch: {SPRAWL.watch_tools} tools), last round"
    ),
    minimum=f"{SPRAWL.min_sample} tool users, or the team's minimum group size if larger",
)
def tool_sprawl(snapshot: TeamSnapshot) -> Finding:
    """Many overlapping tools, none of them a habit."""
    needed = need(snapshot, SPRAWL.min_sample)
    rounds = closed_rounds(snapshot)
    if not rounds:
        return not_enough("3.1", 0, needed)
    last = rounds[-1]
    tally, n = tools_named(last)
    if n < needed.count:
        return not_enough("3.1", n, needed, where=f" in the round of {last.local_date}")
    top = of(max(tally.values()), n)
    if top < SPRAWL.main_tool and len(tally) >= SPRAWL.detect_tools:
        status = Status.DETECTED
    elif top < SPRAWL.main_tool and len(tally) >= SPRAWL.watch_tools:
        status = Status.WATCH
    else:
        status = Status.OK
    return found(
        "3.1",
        status,
        f"{n} people named {plural(len(tally), 'tool')}, and the most named reached "
        f"{max(tally.values())} of them ({pct(top)}){in_round(last)}.",
        sample=n,
        confidence=confidence(n, needed.count),
        severity=float(len(tally)),
    )


@rule(
    "3.2",
    threshold=(
        f"seen problems reach a customer or colleague ≥ {pct(QUALITY.detect)} (watch: "
        f"≥ {pct(QUALITY.watch)} or anyone “more than once”), latest round that asked"
    ),
    minimum=f"{QUALITY.min_sample} answers, or the team's minimum group size if larger",
)
def quality_drift(snapshot: TeamSnapshot) -> Finding:
    """Problems in AI output are reaching customers and colleagues."""
    needed = need(snapshot, QUALITY.min_sample)
    latest = latest_asked(closed_rounds(snapshot), "output_problems", needed.count)
    if latest.round is None:
        return not_enough("3.2", latest.n, needed)
    seen = count(latest.tally, "once", "repeatedly")
    again = count(latest.tally, "repeatedly")
    share = of(seen, latest.n)
    if share >= QUALITY.detect:
        status = Status.DETECTED
    elif again or share >= QUALITY.watch:
        status = Status.WATCH
    else:
        status = Status.OK
    return found(
        "3.2",
        status,
        f"{seen} of {latest.n} have seen problems in AI output reach a customer or a colleague "
        f"({pct(share)}), {again} of them more than once{in_round(latest.round)}.",
        sample=latest.n,
        confidence=confidence(latest.n, needed.count),
        severity=share,
    )


def _usage_flat(snapshot: TeamSnapshot, needed: int) -> tuple[bool, str] | None:
    """Whether use has stopped growing, and the words saying so; None when it cannot be told."""
    rounds = closed_rounds(snapshot)
    if len(rounds) < RESISTANCE.lookback:
        return None
    now, before = rounds[-1], rounds[max(0, len(rounds) - 1 - RESISTANCE.lookback)]
    if usage(now).answered < needed or usage(before).answered < needed:
        return None
    flat = points(usage(now).share, usage(before).share) < RESISTANCE.growth_points
    said = "has not grown" if flat else "is growing"
    return flat, (
        f"Use {said}: {pct(usage(now).share)} of respondents used AI tools on "
        f"{now.local_date}, against {pct(usage(before).share)} on {before.local_date}."
    )


@rule(
    "3.3",
    threshold=(
        f"worried about their job or extra work ≥ {pct(RESISTANCE.sentiment)} and AI use up by "
        f"less than {RESISTANCE.growth_points:g} points on {RESISTANCE.lookback} rounds earlier "
        "(sentiment alone: watch)"
    ),
    minimum=(
        f"{RESISTANCE.min_sample} answers, or the team's minimum group size if larger; "
        f"{RESISTANCE.lookback} closed rounds to judge use"
    ),
)
def resistance_not_diagnosed(snapshot: TeamSnapshot) -> Finding:
    """People see a threat or a burden in AI, and use has stalled."""
    needed = need(snapshot, RESISTANCE.min_sample)
    latest = latest_asked(closed_rounds(snapshot), "whats_in_it", needed.count)
    if latest.round is None:
        return not_enough("3.3", latest.n, needed)
    uneasy = count(latest.tally, "worried", "burden")
    share = of(uneasy, latest.n)
    evidence = (
        f"{uneasy} of {latest.n} said they worry about their job or that AI is extra work for "
        f"little gain ({pct(share)}){in_round(latest.round)}."
    )
    flat = _usage_flat(snapshot, needed.count)
    if share < RESISTANCE.sentiment:
        status = Status.OK
    elif flat is None:
        status = Status.WATCH
        evidence += " Too few rounds yet to tell whether use is growing."
    else:
        status = Status.DETECTED if flat[0] else Status.WATCH
        evidence += " " + flat[1]
    return found(
        "3.3",
        status,
        evidence,
        sample=latest.n,
        confidence=confidence(latest.n, needed.count),
        severity=share,
    )


@rule(
    "3.4",
    threshold=(
        f"any “yes” (confidential tally) to pasting confidential data into an unapproved tool "
        f"(watch: “not sure what counts” ≥ {pct(LEAKAGE.watch_unsure)}), latest round that asked"
    ),
    minimum=(
        f"the team's minimum group size (never under {LEAKAGE.min_sample}) of confidential answers"
    ),
)
def data_leakage(snapshot: TeamSnapshot) -> Finding:
    """Confidential data pasted into tools that are not approved."""
    needed = need(snapshot, LEAKAGE.min_sample)
    latest = latest_asked(closed_rounds(snapshot), "confidential_paste", needed.count)
    if latest.round is None:
        return not_enough("3.4", latest.n, needed)
    yes = count(latest.tally, "yes")
    unsure = count(latest.tally, "unsure")
    if yes >= LEAKAGE.detect_yes:
        status = Status.DETECTED
        evidence = (
            f"{yes} of {latest.n} people (confidential) said they pasted confidential data into "
            f"a tool that is not approved{in_round(latest.round)}."
        )
    else:
        share = of(unsure, latest.n)
        status = Status.WATCH if share >= LEAKAGE.watch_unsure else Status.OK
        evidence = (
            f"None of {latest.n} people (confidential) said they pasted confidential data into a "
            f"tool that is not approved; {unsure} were not sure what counts ({pct(share)})"
            f"{in_round(latest.round)}."
        )
    return found(
        "3.4",
        status,
        evidence,
        sample=latest.n,
        confidence=confidence(latest.n, needed.count),
        severity=float(yes),
    )


@rule(
    "3.5",
    threshold="a shipped workflow whose owner does not use it",
    minimum="the registry and 1 shipped workflow whose owner's use is known",
)
def wrong_workflow_owner(snapshot: TeamSnapshot) -> Finding:
    """Workflows owned by people who do not do the work."""
    if snapshot.workflows is None:
        return no_data("3.5", "The workflow registry is not in use.")
    ships = shipped(snapshot)
    known = [w for w in ships if w.owner_uses_it is not None]
    if not known:
        return no_data(
            "3.5",
            "No shipped workflow's owner has a usage answer given under the pulse's notice that "
            f"it is read for their workflow. {UNNOTICED}",
        )
    idle = sorted(w.name for w in known if not w.owner_uses_it)
    if idle:
        status = Status.DETECTED
        evidence = (
            f"{len(idle)} of {len(known)} shipped workflows are owned by someone who does not "
            f"use them: {', '.join(idle)}."
        )
    else:
        status = Status.OK
        evidence = f"The owners of all {len(known)} shipped workflows use them."
    if unknown := len(ships) - len(known):
        evidence += (
            f" {unknown} more not counted: no usage answer from the owner under the pulse's "
            "workflow-owner notice."
        )
    return found(
        "3.5",
        status,
        evidence,
        sample=len(known),
        confidence=confidence(len(known), 1),
        severity=float(len(idle)),
        individual=True,  # an owner's own pulse answer, tied to a workflow everyone can see
    )


self_assessed("3.6")
