"""Reading a snapshot: closed rounds, tallies, usage, and the numbers as words."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from atlas.diagnosis.model import RoundStats, TeamSnapshot
from atlas.floor import shown
from atlas.questions import Kind, question

Tally = Mapping[str, int]
EMPTY: Tally = {}
GO_TO = "go_to_person"
# How much each usage answer weighs when measuring whose use it is (2.2).
USAGE_WEIGHT: Mapping[str, int] = {"none": 0, "few": 1, "several": 3, "daily": 5}
# Why an answer may be missing although the person answered; said the same way in every case,
# so that the evidence never tells an answer from no answer.
UNNOTICED = (
    "Answers given before the pulse told the person so (for example before they held the role) "
    "are not read on their own."
)


def closed_rounds(snapshot: TeamSnapshot) -> tuple[RoundStats, ...]:
    """The closed rounds, oldest first: the only evidence a rule uses."""
    return tuple(r for r in snapshot.rounds if r.closed)


def today(snapshot: TeamSnapshot) -> date:
    """The snapshot's date."""
    return snapshot.now.date()


def answers(qid: str) -> Callable[[RoundStats], Tally]:
    """A reader for one question's tally in a round."""
    return lambda r: r.answers.get(qid, EMPTY)


def confidential(qid: str) -> Callable[[RoundStats], Tally]:
    """A reader for one confidential question's tally in a round."""
    return lambda r: r.confidential.get(qid, EMPTY)


def answered(r: RoundStats, qid: str) -> int:
    """How many people answered one question in a round: the group its figures are counted from.

    The round's own count when it has one; otherwise a single-choice tally (or the go-to
    names, or a confidential tally) holds one answer per person. A multi-select's mentions say
    nothing of how many people gave them, so without the round's count it has no answerers.
    """
    if qid in r.answerers:
        return max(0, r.answerers[qid])
    if qid in r.confidential:
        return total(r.confidential[qid])
    if qid == GO_TO:
        return total(r.go_to)
    asked = question(qid)
    if asked is not None and asked.kind is Kind.SINGLE:
        return total(r.answers.get(qid, EMPTY))
    return 0


def reaches_floor(snapshot: TeamSnapshot, r: RoundStats, qid: str) -> bool:
    """Whether enough people answered a question in a round for any figure about it to be used."""
    return shown(answered(r, qid), snapshot.min_group_size)


def total(tally: Tally) -> int:
    """How many answers a single-choice tally holds."""
    return sum(max(0, n) for n in tally.values())


def count(tally: Tally, *keys: str) -> int:
    """How many chose any of these options."""
    return sum(max(0, tally.get(key, 0)) for key in keys)


@dataclass(frozen=True)
class Usage:
    """The usage question in one round: who answered and who used AI at all.

    `answered` counts answers to `ai_frequency` rather than `respondents`: someone who only
    answered another question would otherwise count as a user.
    """

    answered: int
    users: int

    @property
    def share(self) -> float:
        """Share of those answering who used AI at all."""
        return self.users / self.answered if self.answered else 0.0


def usage(r: RoundStats) -> Usage:
    """The usage of one round."""
    tally = r.answers.get("ai_frequency", EMPTY)
    n = total(tally)
    return Usage(n, n - count(tally, "none"))


@dataclass(frozen=True)
class Latest:
    """The latest round that asked a question with enough answers, or how many the last had."""

    round: RoundStats | None
    tally: Tally
    n: int


def latest_asked(rounds: tuple[RoundStats, ...], qid: str, needed: int) -> Latest:
    """The latest round in which `needed` people answered a question (`needed` is never below
    the team's minimum group size), with its tally; else how many answered the last round that
    asked it."""
    last_n = 0
    for r in reversed(rounds):
        tally = r.confidential[qid] if qid in r.confidential else r.answers.get(qid, EMPTY)
        n = answered(r, qid)
        if n >= needed:
            return Latest(r, tally, n)
        if n and not last_n:
            last_n = n
    return Latest(None, EMPTY, last_n)


def usage_label(key: str | None) -> str:
    """The usage answer as the person saw it, in lower case ("daily", "not at all")."""
    asked = question("ai_frequency")
    option = asked.option(key or "") if asked else None
    return option.label.lower() if option else "no answer"


def pct(share: float) -> str:
    """A share as a whole percentage, halves rounded up."""
    return f"{int(share * 100 + 0.5)}%"


def then(*values: str) -> str:
    """One value when the rounds agree, "a, then b" when they differ."""
    return values[0] if len(set(values)) == 1 else ", then ".join(values)


def plural(n: int, word: str, words: str | None = None) -> str:
    """ "1 workflow", "3 workflows"."""
    return f"{n} {word if n == 1 else words or word + 's'}"


def points(later: float, earlier: float) -> float:
    """How many percentage points a share moved, rounded so 0.6 - 0.55 is 5, not 4.99…."""
    return round((later - earlier) * 100, 6)


def of(part: int, whole: int) -> float:
    """part / whole, 0 when there is no whole."""
    return part / whole if whole else 0.0


def in_round(r: RoundStats) -> str:
    """The closing words naming a round."""
    return f", in the round of {r.local_date.isoformat()}"
