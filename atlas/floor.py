"""The minimum group size: the one test every number shown about people passes.

A number is shown only when the people behind it are at least the team's floor. "Behind it"
is the group the number was counted from: the people who answered that question in that round
for a count or a share, the respondents of the round for a response rate. Every surface that
shows an aggregate (status, Home tab, digest and chart, alerts, the CSV) asks here.
"""

from __future__ import annotations

from collections.abc import Mapping


def shown(people: int, floor: int) -> bool:
    """Whether a figure counted from `people` people may be shown under a floor of `floor`."""
    return people >= max(1, floor)


def tally_or_none(tally: Mapping[str, int], people: int, floor: int) -> Mapping[str, int] | None:
    """The tally when the people who answered meet the floor, else None (show nothing)."""
    return tally if shown(people, floor) else None
