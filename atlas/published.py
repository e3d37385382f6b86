"""Published figures: a round's numbers, once shown, never change by fewer than the floor.

A closed round's figures are recorded as they were shown (after the floor). When the answers
behind them change later (someone deletes theirs), showing the new figures next to the old ones
would give away exactly the answers that left. So the new figures are compared with the shown
ones first: if between 1 and floor − 1 people changed, nothing of the round is shown.

A snapshot is plain JSON-ready data:
`{"invited": n, "respondents": n, "questions": {id: {"answered": n, "tally": {option: n}}},
"go_to": {"top": n, "total": n}}`, holding only what passes the floor it was taken under.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Snapshot = Mapping[str, Any]


def changed_people(published: Snapshot, current: Snapshot) -> int:
    """At least how many people are behind the difference between two snapshots of a round.

    Every published number is compared with the current one (a number gone counts as 0). One
    person moves a count by at most one, so the largest difference of any single count is a
    lower bound on the people who changed; a bound too low only withholds more.
    """
    gaps = [0]
    for key in ("invited", "respondents"):
        if published.get(key) is not None:
            gaps.append(abs(published[key] - (current.get(key) or 0)))
    now_questions = current.get("questions") or {}
    for question_id, was in (published.get("questions") or {}).items():
        now = now_questions.get(question_id) or {}
        gaps.append(abs(was.get("answered", 0) - now.get("answered", 0)))
        was_tally, now_tally = was.get("tally") or {}, now.get("tally") or {}
        gaps += [abs(was_tally.get(o, 0) - now_tally.get(o, 0)) for o in {*was_tally, *now_tally}]
    if published.get("go_to"):
        now_go_to = current.get("go_to") or {}
        gaps += [abs(n - now_go_to.get(k, 0)) for k, n in published["go_to"].items()]
    return max(gaps)


def withheld(published: Snapshot | None, current: Snapshot, floor: int) -> bool:
    """Whether a round's current figures differ from its shown ones by too few people to show.

    `current` is the round counted now without any floor, so that a count that fell below the
    floor still shows how far it moved.
    """
    if published is None:
        return False
    return 0 < changed_people(published, current) < max(1, floor)
