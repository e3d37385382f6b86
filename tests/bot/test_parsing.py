"""Reading what people type: commands, pause dates, whole numbers and lines of text, each
within its limit, and never an exception whatever was typed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.parsing import (
    MAX_COMMAND_CHARS,
    NUMBER_DIGITS,
    DateProblem,
    clean_line,
    latest_pause,
    parse_future_date,
    pause_date_problem,
    read_date,
    split_command,
    whole_number,
    years_later,
)

TODAY = date(2026, 6, 30)


def test_a_command_splits_into_its_word_and_the_rest() -> None:
    assert split_command(" Pause until Dec 24") == ("pause", "until Dec 24")
    assert split_command("") == ("", "")
    assert split_command("help") == ("help", "")


def test_text_longer_than_the_limit_is_no_command() -> None:
    assert split_command("pause until " + "x" * MAX_COMMAND_CHARS) == ("", "")
    assert split_command("x" * MAX_COMMAND_CHARS)[0] == "x" * MAX_COMMAND_CHARS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-24", date(2026, 12, 24)),
        ("until 2026-12-24", date(2026, 12, 24)),
        ("till Dec 24, 2026", date(2026, 12, 24)),
        ("24 December 2026", date(2026, 12, 24)),
        ("24/12/2026", date(2026, 12, 24)),
        ("Dec 24", date(2026, 12, 24)),
        ("Jun 1", date(2027, 6, 1)),  # already past this year: next year's
        ("9999-12-31", date(9999, 12, 31)),  # readable, if not a pause anyone may take
    ],
)
def test_dates_are_read_in_the_usual_ways(text: str, expected: date) -> None:
    assert read_date(text, TODAY) == expected


@pytest.mark.parametrize("text", ["", "soon", "²", "2026-13-01", "Dec 32", "x" * 41, "\x00"])
def test_what_is_not_a_date_reads_as_none(text: str) -> None:
    assert read_date(text, TODAY) is None


def test_29_february_without_a_year_is_the_next_leap_years() -> None:
    assert read_date("Feb 29", date(2026, 6, 30)) == date(2028, 2, 29)
    assert read_date("Feb 29", date(2028, 3, 1)) == date(2032, 2, 29)
    assert read_date("Feb 29", date(2028, 1, 10)) == date(2028, 2, 29)


def test_a_pause_may_run_to_the_same_date_next_year_and_no_further() -> None:
    latest = latest_pause(TODAY)
    assert latest == date(2027, 6, 30)
    assert parse_future_date(latest.isoformat(), TODAY) == latest
    assert parse_future_date("2026-07-01", TODAY) == date(2026, 7, 1)
    assert parse_future_date((latest + timedelta(days=1)).isoformat(), TODAY) is None
    assert pause_date_problem("2027-07-01", TODAY) is DateProblem.TOO_FAR


def test_a_pause_from_29_february_runs_to_28_february() -> None:
    assert latest_pause(date(2028, 2, 29)) == date(2029, 2, 28)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("9999-12-31", DateProblem.TOO_FAR),
        ("31 Dec 9999", DateProblem.TOO_FAR),
        ("Feb 29", DateProblem.TOO_FAR),  # the next one is in 2028
        ("2026-06-30", DateProblem.NOT_AHEAD),
        ("0001-01-01", DateProblem.NOT_AHEAD),
        ("next week", DateProblem.UNREADABLE),
        ("2026-12-24", None),
    ],
)
def test_each_refused_pause_date_says_why(text: str, problem: DateProblem | None) -> None:
    assert pause_date_problem(text, TODAY) is problem
    assert (parse_future_date(text, TODAY) is None) == (problem is not None)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=st.text(max_size=50), today=st.dates())
def test_no_text_on_any_day_breaks_the_pause_date(text: str, today: date) -> None:
    until = parse_future_date(text, today)
    assert until is None or today < until <= latest_pause(today)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(day=st.dates(), years=st.integers(-20000, 20000))
def test_years_later_stays_in_the_calendar(day: date, years: int) -> None:
    later = years_later(day, years)
    assert (later.month, min(later.day, 28)) == (day.month, min(day.day, 28))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), (" 12 ", 12), ("0", 0), ("9" * NUMBER_DIGITS, int("9" * NUMBER_DIGITS))],
)
def test_whole_numbers_are_ascii_digits(text: str, expected: int) -> None:
    assert whole_number(text) == expected


@pytest.mark.parametrize(
    "text", ["", "-1", "1.5", "1e9", "١٢", "²", "1_000", "9" * (NUMBER_DIGITS + 1), "5 5", "NaN"]
)
def test_anything_else_is_not_a_whole_number(text: str) -> None:
    assert whole_number(text) is None


def test_a_line_loses_control_characters_and_keeps_emoji() -> None:
    assert clean_line("  Data\x00 \u202eteam\n\tA  ") == "Data team A"
    assert clean_line("Lone \ud800surrogate") == "Lone surrogate"
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert clean_line(f"Team {family}") == f"Team {family}"
