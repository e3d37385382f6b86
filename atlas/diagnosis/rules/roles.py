"""Stage 2 rules on the named roles' own use: only the AI lead (2.2), a non-using sponsor (2.3).

These read `role_usage`, the one individual answer the pulse tells those roles is visible to the
owner, so their findings carry `individual=True`. An answer given before the pulse said so (say,
before the person was named) is not in `role_usage`: the rule counts it as unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

from atlas.diagnosis.model import Finding, RoundStats, Status, TeamSnapshot
from atlas.diagnosis.rules.base import Need, confidence, found, need, no_data, not_enough, rule
from atlas.diagnosis.rules.signals import (
    UNNOTICED,
    USAGE_WEIGHT,
    answers,
    closed_rounds,
    of,
    pct,
    then,
    usage,
    usage_label,
)


@dataclass(frozen=True)
class LeadOnly:
    """2.2: how few others may use AI, in every one of the last `rounds` rounds."""

    rounds: int = 2
    others_detect: float = 0.10  # others using ≤ max(1, 10% of the other respondents)
    others_watch: float = 0.25
    lead_detect: tuple[str, ...] = ("several", "daily")  # the lead's own use, for DETECTED
    min_sample: int = 5  # respondents per round, or the team's minimum group size if larger


@dataclass(frozen=True)
class SponsorUse:
    """2.3: the executive sponsor's own answers to the usage question."""

    answers: int = 2  # the last 2 rounds the sponsor answered
    window: int = 4  # severity: share of "none" in the sponsor's last 4 answers


LEAD = LeadOnly()
SPONSOR = SponsorUse()


@dataclass(frozen=True)
class _LeadRound:
    answered: int  # everyone who answered the usage question, the lead included
    users: int
    lead: str  # the lead's own usage answer
    lead_share: float  # the lead's weight ÷ everyone's weight

    @property
    def others(self) -> int:
        return self.answered - 1

    @property
    def others_using(self) -> int:
        return max(0, self.users - (self.lead != "none"))

    def detects(self) -> bool:
        most = max(1.0, LEAD.others_detect * self.others)
        return self.lead in LEAD.lead_detect and self.others_using <= most

    def watches(self) -> bool:
        return self.lead != "none" and self.others_using <= LEAD.others_watch * self.others


def _lead_round(r: RoundStats, lead: str) -> _LeadRound:
    tally = answers("ai_frequency")(r)
    weight = sum(max(0, n) * USAGE_WEIGHT.get(key, 0) for key, n in tally.items())
    counted = usage(r)
    return _LeadRound(counted.answered, counted.users, lead, of(USAGE_WEIGHT[lead], weight))


def _lead_rounds(snapshot: TeamSnapshot, needed: Need) -> list[_LeadRound] | Finding:
    rounds = closed_rounds(snapshot)[-LEAD.rounds :]
    if len(rounds) < LEAD.rounds:
        return no_data("2.2", f"Not enough rounds yet: {len(rounds)} of the {LEAD.rounds} needed.")
    for r in rounds:
        n = usage(r).answered
        if n < needed.count:
            return not_enough("2.2", n, needed, where=f" in the round of {r.local_date}")
    measured = []
    for r in rounds:
        lead = r.role_usage.get("ai_lead")
        if lead not in USAGE_WEIGHT:
            return found(
                "2.2",
                Status.NOT_ENOUGH_DATA,
                f"No usage answer from the AI lead in the round of {r.local_date} was given "
                f"under the pulse's notice that it is read for the role. {UNNOTICED}",
                sample=usage(r).answered,
                confidence=0.0,
                individual=True,
            )
        measured.append(_lead_round(r, lead))
    return measured


@rule(
    "2.2",
    threshold=(
        f"last {LEAD.rounds} rounds: the lead uses AI several times or daily and others using "
        f"≤ max(1, {pct(LEAD.others_detect)} of the other respondents) "
        f"(watch: the lead uses AI at all and others using ≤ {pct(LEAD.others_watch)})"
    ),
    minimum=(
        f"an AI lead; {LEAD.min_sample} answers in each of the last {LEAD.rounds} rounds, or the "
        "team's minimum group size if larger"
    ),
)
def only_the_lead(snapshot: TeamSnapshot) -> Finding:
    """The AI lead is the only real user: the habit has not spread."""
    if not snapshot.roles.get("ai_lead"):
        return no_data("2.2", "No AI lead is named.")
    needed = need(snapshot, LEAD.min_sample)
    measured = _lead_rounds(snapshot, needed)
    if isinstance(measured, Finding):
        return measured
    last = measured[-1]
    sample = min(m.answered for m in measured)
    if all(m.detects() for m in measured):
        status = Status.DETECTED
    elif all(m.watches() for m in measured):
        status = Status.WATCH
    else:
        status = Status.OK
    if status is Status.OK:
        others = then(*(f"{m.others_using} of {m.others}" for m in measured))
        evidence = (
            f"Last {LEAD.rounds} rounds: {others} respondents other than the AI lead used AI tools."
        )
    else:
        users = then(*(f"{m.users} of {m.answered}" for m in measured))
        lead = then(*(usage_label(m.lead) for m in measured))
        others = then(*(str(m.others_using) for m in measured))
        plus = "" if others == "0" else f", and {others} other" + ("" if others == "1" else "s")
        shares = then(*(pct(m.lead_share) for m in measured))
        evidence = (
            f"Last {LEAD.rounds} rounds: {users} respondents used AI tools — the AI lead, "
            f"{lead}{plus}. The lead accounts for {shares} of reported use."
        )
    return found(
        "2.2",
        status,
        evidence,
        sample=sample,
        confidence=confidence(sample, needed.count),
        severity=round(last.lead_share, 3),
        individual=True,
    )


@rule(
    "2.3",
    threshold=(
        f"the sponsor answered “not at all” in their last {SPONSOR.answers} answered rounds "
        "(watch: one “not at all”, or no answer above “once or twice”)"
    ),
    minimum=f"an executive sponsor and {SPONSOR.answers} of their answers",
)
def sponsor_does_not_use(snapshot: TeamSnapshot) -> Finding:
    """The executive sponsor backs AI but does not use it."""
    if not snapshot.roles.get("executive_sponsor"):
        return no_data("2.3", "No executive sponsor is named.")
    answered = [
        (r.local_date, r.role_usage["executive_sponsor"])
        for r in closed_rounds(snapshot)
        if r.role_usage.get("executive_sponsor") in USAGE_WEIGHT
    ]
    if len(answered) < SPONSOR.answers:
        return found(
            "2.3",
            Status.NOT_ENOUGH_DATA,
            f"Not enough answers yet: {len(answered)} of the {SPONSOR.answers} needed from the "
            "executive sponsor, given under the pulse's notice that they are read for the role. "
            + UNNOTICED,
            sample=len(answered),
            confidence=confidence(len(answered), SPONSOR.answers),
            individual=True,
        )
    last = answered[-SPONSOR.answers :]
    levels = [level for _, level in last]
    if all(level == "none" for level in levels):
        status = Status.DETECTED
        dates = " and ".join(d.isoformat() for d, _ in last)
        evidence = (
            f"The executive sponsor reported no AI use in the last {SPONSOR.answers} rounds they "
            f"answered ({dates})."
        )
    else:
        low = all(level in ("none", "few") for level in levels)
        status = Status.WATCH if low or "none" in levels else Status.OK
        evidence = (
            f"The executive sponsor's own use in the last {SPONSOR.answers} rounds they "
            f"answered: {then(*(usage_label(level) for level in levels))}."
        )
    recent = [level for _, level in answered[-SPONSOR.window :]]
    return found(
        "2.3",
        status,
        evidence,
        sample=len(answered),
        confidence=confidence(len(answered), SPONSOR.answers),
        severity=of(recent.count("none"), len(recent)),
        individual=True,
    )
