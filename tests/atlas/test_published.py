"""Published figures: a change by fewer people than the floor is withheld, a larger one shown."""

from __future__ import annotations

from atlas.published import changed_people, withheld

SHOWN = {
    "invited": 7,
    "respondents": 6,
    "questions": {"ai_frequency": {"answered": 6, "tally": {"daily": 4, "few": 2}}},
    "go_to": {"top": 5, "total": 5},
}


def _without(respondents: int, daily: int, few: int, go_to: int) -> dict:
    return {
        "invited": 7,
        "respondents": respondents,
        "questions": {
            "ai_frequency": {"answered": daily + few, "tally": {"daily": daily, "few": few}}
        },
        "go_to": {"top": go_to, "total": go_to},
    }


def test_the_same_figures_have_no_one_behind_a_difference() -> None:
    assert changed_people(SHOWN, SHOWN) == 0
    assert not withheld(SHOWN, SHOWN, 5)


def test_one_person_leaving_is_withheld_under_a_floor_of_five() -> None:
    assert changed_people(SHOWN, _without(5, 3, 2, 4)) == 1
    assert withheld(SHOWN, _without(5, 3, 2, 4), 5)


def test_an_option_that_moved_alone_still_counts_as_someone() -> None:
    moved = _without(6, 3, 3, 5)  # a changed answer: no total moved, one option did
    assert changed_people(SHOWN, moved) == 1 and withheld(SHOWN, moved, 3)


def test_a_count_that_fell_to_nothing_counts_all_it_lost() -> None:
    empty = {"invited": 7, "respondents": 1, "questions": {}, "go_to": None}
    assert changed_people(SHOWN, empty) == 6
    assert not withheld(SHOWN, empty, 5)


def test_as_many_people_as_the_floor_may_change_the_figures() -> None:
    assert not withheld(SHOWN, _without(3, 2, 1, 2), 3)


def test_a_round_never_shown_has_nothing_to_be_compared_with() -> None:
    assert not withheld(None, _without(5, 3, 2, 4), 5)
