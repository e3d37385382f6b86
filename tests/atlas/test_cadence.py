"""Recovery step 4, the weekly cadence: office hours held with people there, and the owner's
check-in answered, over the last 4 non-holiday weeks."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from atlas.diagnosis.engine import cadence, diagnose
from atlas.diagnosis.model import CheckIn, OfficeHoursWeek, RecoveryWindow, TeamSnapshot

NOW = datetime(2026, 6, 5, 18, 30)  # a Friday
THURSDAY = date(2026, 6, 4)


def office_hours(*attendees: int | None) -> tuple[OfficeHoursWeek, ...]:
    """Weekly sessions, oldest first, the last one this Thursday; None: not held that week."""
    return tuple(
        OfficeHoursWeek(
            week_of=THURSDAY - timedelta(weeks=len(attendees) - 1 - i),
            held=n is not None,
            attendees=n or 0,
            rsvps=n or 0,
        )
        for i, n in enumerate(attendees)
    )


def check_ins(*answered: bool) -> tuple[CheckIn, ...]:
    """Weekly check-ins, oldest first, the last one this week."""
    monday = NOW.date() - timedelta(days=NOW.weekday())
    return tuple(
        CheckIn(week_of=monday - timedelta(weeks=len(answered) - 1 - i), answered=a)
        for i, a in enumerate(answered)
    )


def team(**kw) -> TeamSnapshot:
    """A team on day 90 of its rollout with no pulse rounds: only its weekly rituals."""
    fields = {
        "now": NOW,
        "rollout_start": NOW.date() - timedelta(days=90),
        "min_group_size": 5,
        "member_count": 8,
        "roles": {"owner": ("U0OWNER",)},
        "rounds": (),
        **kw,
    }
    return TeamSnapshot(**fields)


def test_a_team_without_office_hours_or_check_ins_has_no_cadence_to_measure() -> None:
    assert cadence(team()) is None
    assert diagnose(team()).cadence is None


def test_3_of_4_weeks_with_people_there_and_3_answered_check_ins_are_on_cadence() -> None:
    found = cadence(
        team(
            office_hours=office_hours(0, 4, None, 2, 6),
            check_ins=check_ins(False, True, True, True),
        )
    )
    assert found is not None and found.on_cadence
    assert (found.office_hours_held, found.office_hours_attended) == (3, 3)
    assert found.median_attendance == 4
    assert found.check_ins_answered == 3
    assert found.summary == (
        "Weekly cadence: office hours held 3 of the last 4 weeks (median attendance 4); "
        "the owner's check-in answered 3 of 4: on cadence."
    )


def test_a_session_nobody_came_to_does_not_count_towards_the_cadence() -> None:
    found = cadence(
        team(office_hours=office_hours(3, 0, 0, 2), check_ins=check_ins(True, True, True, True))
    )
    assert found is not None and not found.on_cadence
    assert (found.office_hours_held, found.office_hours_attended) == (4, 2)
    assert found.median_attendance == 1


def test_two_unanswered_check_ins_of_four_break_the_cadence() -> None:
    found = cadence(
        team(office_hours=office_hours(3, 3, 3, 3), check_ins=check_ins(True, False, True, False))
    )
    assert found is not None and not found.on_cadence
    assert found.check_ins_answered == 2
    assert found.summary.endswith("answered 2 of 4: not on cadence yet.")


def test_fewer_than_four_weeks_on_record_count_the_missing_weeks_as_not_held() -> None:
    found = cadence(team(office_hours=office_hours(2, 2), check_ins=check_ins(True, True)))
    assert found is not None and not found.on_cadence
    assert found.office_hours_held == 2 and found.check_ins_answered == 2


def test_office_hours_without_check_ins_are_measured_too() -> None:
    found = cadence(team(office_hours=office_hours(None, None)))
    assert found is not None and not found.on_cadence
    assert found.office_hours_held == 0 and found.median_attendance is None
    assert "office hours held 0 of the last 4 weeks;" in found.summary


def test_weeks_after_now_are_not_counted() -> None:
    later = OfficeHoursWeek(week_of=NOW.date() + timedelta(days=6), held=True, attendees=9)
    found = cadence(team(office_hours=(*office_hours(None, None, None, None), later)))
    assert found is not None and found.office_hours_held == 0


def test_the_day_60_check_reports_the_cadence() -> None:
    window = RecoveryWindow(NOW.date() - timedelta(days=60), (2,), 3, None)
    snapshot = team(
        office_hours=office_hours(3, 4, 5, 2),
        check_ins=check_ins(True, True, True, True),
        recovery=window,
    )
    check = diagnose(snapshot).recovery_check
    assert check is not None
    assert check.summary.startswith("Day 60 of the recovery window: ")
    assert check.summary.endswith(
        "Weekly cadence: office hours held 4 of the last 4 weeks (median attendance 3.5); "
        "the owner's check-in answered 4 of 4: on cadence."
    )
