"""The atlas as data: complete, in order, in our own words, within Slack's limits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from atlas.modes import MODES, RECOVERY_STEPS, STAGES
from atlas.taxonomy import ATLAS_URL, ATTRIBUTION, RECOVERY_THRESHOLD

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
EXPECTED_IDS = (
    [f"1.{n}" for n in range(1, 9)]
    + [f"2.{n}" for n in range(1, 8)]
    + [f"3.{n}" for n in range(1, 7)]
    + [f"4.{n}" for n in range(1, 5)]
)


def test_all_25_modes_are_present_in_atlas_order() -> None:
    assert [m.id for m in MODES] == EXPECTED_IDS


def test_each_mode_sits_in_the_stage_its_id_names() -> None:
    for mode in MODES:
        assert mode.stage == int(mode.id.split(".")[0])


def test_the_four_stages_have_8_7_6_and_4_modes() -> None:
    counts = [sum(1 for m in MODES if m.stage == s.number) for s in STAGES]
    assert [s.number for s in STAGES] == [1, 2, 3, 4]
    assert counts == [8, 7, 6, 4]


def test_the_named_modes_keep_their_atlas_titles() -> None:
    titles = {m.id: m.title for m in MODES}
    assert titles["1.1"] == "No named owner"
    assert titles["2.2"] == "Only the AI lead uses the tools"
    assert titles["2.3"] == "CEO does not use AI personally"
    assert titles["4.1"] == "Knowledge in one head"


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.id)
def test_every_mode_has_all_its_text_within_slack_limits(mode) -> None:
    assert 5 <= len(mode.title) <= 60
    for text, limit in ((mode.description, 400), (mode.in_slack, 300), (mode.first_move, 300)):
        assert 40 <= len(text) <= limit
    for text in (mode.title, mode.description, mode.in_slack, mode.first_move):
        assert not set("<>&") & set(text), "mrkdwn control characters would break the card"
    assert mode.keywords and all(k == k.lower() and " " not in k for k in mode.keywords)


def test_recovery_has_five_steps_and_the_two_in_a_stage_rule() -> None:
    assert [s.number for s in RECOVERY_STEPS] == [1, 2, 3, 4, 5]
    assert "2 weeks" in RECOVERY_STEPS[2].title + RECOVERY_STEPS[2].detail
    assert "60" in RECOVERY_STEPS[4].title + RECOVERY_STEPS[4].detail
    assert RECOVERY_THRESHOLD == 2


def test_attribution_names_the_atlas_and_its_stable_url() -> None:
    assert "Mid-Market AI Failure Atlas" in ATTRIBUTION
    assert ATLAS_URL.startswith("https://") and "mid-market-ai-failure-atlas" in ATLAS_URL


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the source documents are not beside the repo")
def test_no_description_copies_a_sentence_of_the_sources() -> None:
    window = 8
    source_runs: set[tuple[str, ...]] = set()
    for seed in SEEDS.glob("*.txt"):
        words = _words(seed.read_text(encoding="utf-8"))
        source_runs.update(tuple(words[i : i + window]) for i in range(len(words) - window + 1))
    texts = [t for m in MODES for t in (m.description, m.in_slack, m.first_move)]
    texts += [s.detail for s in RECOVERY_STEPS]
    copied = []
    for text in texts:
        words = _words(text)
        runs = {tuple(words[i : i + window]) for i in range(len(words) - window + 1)}
        if runs & source_runs:
            copied.append(text)
    assert copied == []
