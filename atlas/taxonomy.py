"""The shape of the Mid-Market AI Failure Atlas: stages, failure modes and the recovery pattern.

The facts (mode numbers, names, stages, the recovery pattern) come from the atlas, cited by
`ATTRIBUTION` and `ATLAS_URL`; every sentence of description is the project's own.
"""

from __future__ import annotations

from dataclasses import dataclass

ATTRIBUTION = "Treetop Growth Strategy, Mid-Market AI Failure Atlas, May 2026"
ATLAS_URL = "https://treetopgrowthstrategy.com/mid-market-ai-failure-atlas"

# The atlas's own rule: two or more failure modes in one stage means recovery is needed.
RECOVERY_THRESHOLD = 2


@dataclass(frozen=True)
class Stage:
    """One of the four stages of a rollout."""

    number: int
    name: str
    window: str  # when in the rollout the stage applies, e.g. "first 30 days"
    summary: str


@dataclass(frozen=True)
class FailureMode:
    """One documented way an AI rollout fails."""

    id: str  # "2.2"
    stage: int
    title: str
    description: str  # what goes wrong and why it matters, in our words
    in_slack: str  # what it tends to look like from inside a team's Slack
    first_move: str  # the first step out of it
    keywords: tuple[str, ...] = ()  # extra words people search by ("ceo", "leak")

    @property
    def number(self) -> int:
        """The mode's position inside its stage (2 for "2.2")."""
        return int(self.id.split(".")[1])


@dataclass(frozen=True)
class RecoveryStep:
    """One step of the atlas's five-step recovery pattern."""

    number: int
    title: str
    detail: str
