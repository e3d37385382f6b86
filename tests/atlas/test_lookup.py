"""Finding modes: ids written any way, stages, ranked word search, and did-you-mean."""

from __future__ import annotations

import pytest

from atlas import lookup


@pytest.mark.parametrize(
    "text",
    [
        "2.2",
        "22",
        "2,2",
        "2.2.",
        "II.2",
        "ii.2",
        "2-2",
        "2 2",
        " 2.2 ",
        "#2.2",
        "mode 2.2",
        "２.２",
        "2.2!",
    ],
)
def test_a_mode_id_is_read_however_it_is_written(text: str) -> None:
    mode = lookup.find(text)
    assert mode is not None and mode.id == "2.2"


@pytest.mark.parametrize("text", ["123", "2", "2.2.2", "leak", "", "ii2", "2..2x"])
def test_text_that_is_not_an_id_is_not_read_as_one(text: str) -> None:
    assert lookup.find(text) is None


def test_an_id_past_the_end_of_a_stage_suggests_its_neighbours() -> None:
    assert [m.id for m in lookup.did_you_mean("2.8")] == ["2.7", "2.6", "2.5"]


def test_an_id_in_a_stage_that_does_not_exist_suggests_the_same_position() -> None:
    assert [m.id for m in lookup.did_you_mean("9.2")] == ["1.2", "2.2", "3.2"]
    assert lookup.did_you_mean("9.9") == []


def test_swapped_digits_are_suggested_first() -> None:
    assert lookup.did_you_mean("1.4")[0].id == "4.1"


@pytest.mark.parametrize(
    ("words", "best"),
    [
        ("leak", "3.4"),
        ("LEAK!!", "3.4"),
        ("ceo", "2.3"),
        ("owner", "1.1"),
        ("knowledge", "4.1"),
        ("vendor lock-in", "4.4"),
        ("prompts", "2.6"),
        ("training", "2.7"),
        ("tool sprawl", "3.1"),
        ("compliance", "1.7"),
        ("baseline", "2.4"),
    ],
)
def test_word_search_ranks_the_obvious_mode_first(words: str, best: str) -> None:
    assert lookup.search(words)[0].id == best


def test_search_for_nonsense_finds_nothing() -> None:
    assert lookup.search("xyzzy") == []
    assert lookup.search("😀") == []
    assert lookup.search("the and of") == []


def test_a_misspelled_word_gets_a_suggestion() -> None:
    assert lookup.search("lekage") == []
    assert lookup.did_you_mean("lekage")[0].id == "3.4"


def test_stages_list_their_modes_in_order() -> None:
    assert [m.id for m in lookup.stage_modes(4)] == ["4.1", "4.2", "4.3", "4.4"]
    assert lookup.stage_modes(5) == ()
    assert lookup.stage(2).window == "first 30 days"
