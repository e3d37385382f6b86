"""Every number, date and length typed into the setup and workflow modals (or the CLI) is held to
its range, and a refusal names the range and an example; no input makes the readers raise
anything but their own field errors."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.parsing import MAX_TOOLS, NAME_CHARS, TOOL_CHARS, TOOLS_TEXT_CHARS
from bot.services import setup, workflows

TODAY = date(2026, 6, 30)


def _refusal(field: str, text: str, today: date = TODAY) -> str:
    with pytest.raises(setup.SettingsError) as refused:
        setup.read({field: text}, today=today)
    return refused.value.errors[field]


def _workflow_refusal(field: str, text: str, today: date = TODAY) -> str:
    with pytest.raises(workflows.WorkflowError) as refused:
        workflows.read({"name": "Weekly report", field: text}, today=today)
    return refused.value.errors[field]


# --- setup ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["2", "11", "-5", "²", "١٢", "9" * 5000, "5.0", "", "five"])
def test_a_minimum_group_size_outside_3_to_10_is_refused_with_the_range(text: str) -> None:
    assert "from 3 to 10, e.g. 5" in _refusal("min_group_size", text)


def test_a_minimum_group_size_inside_the_range_is_read() -> None:
    assert setup.read({"min_group_size": " 7 "}, today=TODAY).min_group_size == 7


@pytest.mark.parametrize("text", ["14", "241", "0", "1e3", "²", "99999999999"])
def test_office_hours_length_is_15_to_240_minutes(text: str) -> None:
    assert "from 15 to 240, e.g. 60" in _refusal("office_hours_minutes", text)


@pytest.mark.parametrize("text", ["24:00", "12:60", "1230", "²:00", "noon", "10:00:30"])
def test_a_time_is_a_24_hour_clock_time(text: str) -> None:
    assert "from 00:00 to 23:59, e.g. 10:00" in _refusal("pulse_time", text)


@pytest.mark.parametrize("text", ["7", "²", "-1", "mo", "someday"])
def test_a_day_is_a_weekday(text: str) -> None:
    assert "monday to sunday" in _refusal("pulse_day", text)


def test_a_name_is_one_line_of_at_most_80_characters() -> None:
    assert setup.read({"name": "  Data\x00 \u202eteam "}, today=TODAY).name == "Data team"
    refusal = _refusal("name", "x" * (NAME_CHARS + 1))
    assert f"{NAME_CHARS + 1} characters" in refusal and f"keep it to {NAME_CHARS}" in refusal
    assert "e.g. Marketing" in _refusal("name", " \x00 ")


def test_the_tool_list_is_bounded_in_count_in_length_and_in_all() -> None:
    many = "\n".join(f"Tool {n}" for n in range(MAX_TOOLS + 1))
    assert f"at most {MAX_TOOLS}" in _refusal("tools", many)
    long = "x" * (TOOL_CHARS + 1)
    assert f"keep each tool to {TOOL_CHARS}" in _refusal("tools", f"ChatGPT\n{long}")
    assert f"keep it to {TOOLS_TEXT_CHARS:,}" in _refusal("tools", "a," * TOOLS_TEXT_CHARS)
    assert setup.read({"tools": "ChatGPT\n\x00\nClaude"}, today=TODAY).tools == [
        "ChatGPT",
        "Claude",
    ]


def test_a_rollout_start_is_within_5_years_back_and_a_year_ahead() -> None:
    assert setup.read({"rollout_start": "2021-06-30"}, today=TODAY).rollout_start == date(
        2021, 6, 30
    )
    too_old = _refusal("rollout_start", "2021-06-29")
    assert "more than 5 years ago" in too_old and "from 2021-06-30 to 2027-07-01" in too_old
    assert "from 2021-06-30 to 2027-07-01" in _refusal("rollout_start", "2027-07-02")
    assert "written like 2026-06-30" in _refusal("rollout_start", "9999-99-99")


def test_the_rollout_range_counts_from_29_february_too() -> None:
    leap = date(2028, 2, 29)
    assert setup.read({"rollout_start": "2023-02-28"}, today=leap).rollout_start == date(
        2023, 2, 28
    )
    assert "from 2023-02-28" in _refusal("rollout_start", "2023-02-27", today=leap)


def test_a_time_zone_name_longer_than_any_real_one_is_refused() -> None:
    assert "Europe/Berlin" in _refusal("timezone", "Europe/" + "x" * 100)


# --- workflows ----------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["0", "100001", "12.5", "1e309", "nan", "inf", "-5", "²"])
def test_minutes_per_run_are_whole_minutes_from_1_to_100_000(text: str) -> None:
    assert "whole minutes from 1 to 100,000, e.g. 45" in _workflow_refusal("minutes_before", text)


def test_minutes_may_say_min_or_minutes() -> None:
    read = workflows.read(
        {"name": "Triage", "minutes_before": "45 minutes", "minutes_after": "10min"}, today=TODAY
    )
    assert (read.minutes_before, read.minutes_after) == (45, 10)


def test_a_shipped_date_is_within_the_last_5_years_and_never_ahead() -> None:
    ahead = _workflow_refusal("shipped_on", "2026-07-01")
    assert "future" in ahead and "from 2021-06-30 to today (2026-06-30)" in ahead
    assert "more than 5 years ago" in _workflow_refusal("shipped_on", "2021-06-29")
    assert "from 2021-06-30" in _workflow_refusal("shipped_on", "yesterday")


def test_a_workflow_name_is_one_line_of_at_most_80_characters() -> None:
    with pytest.raises(workflows.WorkflowError) as refused:
        workflows.read({"name": "y" * 81}, today=TODAY)
    assert "keep it to 80, e.g. Weekly client report" in refused.value.errors["name"]


# --- whatever is typed ----------------------------------------------------------------------------
FIELDS = sorted(setup.FIELDS)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    raw=st.dictionaries(st.sampled_from(FIELDS), st.none() | st.text(max_size=40), max_size=6),
    today=st.dates(),
)
def test_the_setup_reader_only_ever_refuses_with_field_errors(
    raw: dict[str, str | None], today: date
) -> None:
    try:
        setup.read(raw, today=today)
    except setup.SettingsError as refused:
        assert set(refused.errors) <= set(raw)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    raw=st.dictionaries(
        st.sampled_from(["name", "owner", "shipped_on", "minutes_before", "minutes_after"]),
        st.none() | st.text(max_size=40),
    ),
    today=st.dates(),
)
def test_the_workflow_reader_only_ever_refuses_with_field_errors(
    raw: dict[str, str | None], today: date
) -> None:
    try:
        read = workflows.read(raw, today=today)
    except workflows.WorkflowError:
        return
    for minutes in (read.minutes_before, read.minutes_after):
        assert minutes is None or 1 <= minutes <= 100_000
    assert read.shipped_on is None or read.shipped_on <= today
