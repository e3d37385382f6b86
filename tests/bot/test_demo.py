"""The demo drives the real app over signed HTTP and shows what a person would see."""

from __future__ import annotations

from bot.demo import run_demo


def test_the_demo_answers_every_command_and_prints_the_cards(database_url: str) -> None:
    lines: list[str] = []
    failures = run_demo(database_url=database_url, echo=lines.append)
    output = "\n".join(lines)
    assert failures == 0
    assert "2.2 · Only the AI lead uses the tools" in output
    assert "2.3 · CEO does not use AI personally" in output  # found by the word "ceo"
    assert "/atlas 2.7" in output  # the did-you-mean for 2.8
    assert output.count("(200,") == 6
