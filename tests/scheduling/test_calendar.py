"""Local-time arithmetic: DST gaps and folds, working days, holidays, quiet hours."""

from __future__ import annotations

from datetime import date, time

from bot.scheduling.calendar import (
    WorkCalendar,
    at_local,
    in_quiet_hours,
    parse_days,
    personal_due,
    pulse_dates,
    zone,
)

NY = zone("America/New_York")
BERLIN = zone("Europe/Berlin")
WEEKDAYS = parse_days("0,1,2,3,4")


def test_a_time_in_the_spring_forward_gap_moves_past_the_gap() -> None:
    instant = at_local(date(2026, 3, 8), time(2, 30), NY)
    assert instant.astimezone(NY).strftime("%H:%M %Z") == "03:30 EDT"


def test_a_time_that_happens_twice_means_the_first_one() -> None:
    instant = at_local(date(2026, 11, 1), time(1, 30), NY)
    assert instant.astimezone(NY).strftime("%H:%M %Z") == "01:30 EDT"


def test_ten_oclock_is_ten_oclock_on_both_sides_of_a_dst_change() -> None:
    before = at_local(date(2026, 10, 23), time(10, 0), BERLIN)
    after = at_local(date(2026, 10, 26), time(10, 0), BERLIN)
    assert (before.hour, after.hour) == (8, 9)  # UTC shifts, local time does not
    assert before.astimezone(BERLIN).hour == after.astimezone(BERLIN).hour == 10


def test_weekly_dates_skip_weekends_and_move_off_holidays_within_the_week() -> None:
    calendar = WorkCalendar(WEEKDAYS, frozenset({date(2026, 12, 7)}))
    dates = list(pulse_dates(date(2026, 11, 25), date(2026, 12, 20), 0, calendar))
    assert dates == [date(2026, 11, 30), date(2026, 12, 8), date(2026, 12, 14)]


def test_a_week_with_no_working_day_left_has_no_round() -> None:
    holidays = frozenset(date(2026, 12, d) for d in range(21, 26))
    dates = list(
        pulse_dates(date(2026, 12, 20), date(2026, 12, 27), 0, WorkCalendar(WEEKDAYS, holidays))
    )
    assert dates == []


def test_a_pulse_day_on_a_weekend_moves_to_monday_only_within_the_week() -> None:
    # Pulse on Saturday with a Mon-Fri team: the Saturday is not worked, and the week ends.
    assert list(pulse_dates(date(2026, 11, 1), date(2026, 11, 30), 5, WorkCalendar(WEEKDAYS))) == []


def test_quiet_hours_wrap_past_midnight() -> None:
    assert in_quiet_hours(time(22, 0), time(19, 0), time(8, 0))
    assert in_quiet_hours(time(7, 59), time(19, 0), time(8, 0))
    assert not in_quiet_hours(time(8, 0), time(19, 0), time(8, 0))
    assert not in_quiet_hours(time(12, 0), time(12, 0), time(12, 0))  # none


def test_a_pulse_time_inside_quiet_hours_waits_for_their_end() -> None:
    early = personal_due(date(2026, 11, 30), time(6, 0), NY, (time(19, 0), time(8, 0)))
    assert early.astimezone(NY).strftime("%a %H:%M") == "Mon 08:00"
    late = personal_due(date(2026, 11, 30), time(20, 0), NY, (time(19, 0), time(8, 0)))
    assert late.astimezone(NY).strftime("%a %H:%M") == "Tue 08:00"
