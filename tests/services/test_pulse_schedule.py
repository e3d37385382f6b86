"""When pulses go out: local time in three zones, DST days, weekends, holidays, downtime."""

from __future__ import annotations

from datetime import date, time

from freezegun import freeze_time
from sqlalchemy import select

from bot.scheduling.tick import tick
from bot.services import teams
from bot.storage.models import PulseRound, Role, RoundStatus, Team
from tests.services.conftest import Env, utc

NY, BERLIN, TOKYO = "America/New_York", "Europe/Berlin", "Asia/Tokyo"
OWNER = ("UOWNER", NY, Role.OWNER)


def _rounds(env: Env) -> list[PulseRound]:
    with env.db.unit_of_work() as session:
        return list(session.scalars(select(PulseRound).order_by(PulseRound.local_date)))


def test_each_member_gets_the_pulse_at_ten_in_their_own_zone(env: Env) -> None:
    env.team(
        [
            ("UNY", NY, Role.MEMBER),
            ("UBER", BERLIN, Role.MEMBER),
            ("UTOK", TOKYO, Role.MEMBER),
            OWNER,
        ],
        created="2026-11-27",
    )
    # Monday 30 Nov 2026, 10:00 local: Tokyo 01:00Z, Berlin 09:00Z, New York 15:00Z.
    env.tick(utc(2026, 11, 30, 0, 59))
    assert env.dms() == {}
    env.tick(utc(2026, 11, 30, 1, 0))
    assert env.dms() == {"UTOK": 1}
    env.tick(utc(2026, 11, 30, 8, 59))
    assert env.dms() == {"UTOK": 1}
    env.tick(utc(2026, 11, 30, 9, 0))
    assert env.dms() == {"UTOK": 1, "UBER": 1}
    env.tick(utc(2026, 11, 30, 15, 0))
    assert env.dms() == {"UTOK": 1, "UBER": 1, "UNY": 1, "UOWNER": 1}
    env.tick(utc(2026, 11, 30, 16, 0))
    assert set(env.dms().values()) == {1}
    assert [r.local_date for r in _rounds(env)] == [date(2026, 11, 30)]


def test_the_tick_reads_the_clock_when_not_told_the_time(env: Env) -> None:
    env.team([("UTOK", TOKYO, Role.MEMBER), OWNER], created="2026-11-27")
    with freeze_time("2026-11-30 01:05:00"):
        tick(db=env.db, caller=env.caller())
    assert env.dms() == {"UTOK": 1}


def test_a_fall_back_day_sends_once_at_the_first_of_the_repeated_hour(env: Env) -> None:
    # Sunday 1 Nov 2026: New York's 01:30 happens twice (05:30Z EDT, then 06:30Z EST).
    env.team(
        [("UNY", NY, Role.MEMBER), OWNER],
        pulse_weekday=6,
        working_days="0,1,2,3,4,5,6",
        pulse_time=time(1, 30),
        quiet_start=time(0, 0),
        quiet_end=time(0, 0),
        created="2026-10-30",
    )
    env.tick(utc(2026, 11, 1, 5, 29))
    assert env.dms() == {}
    env.tick(utc(2026, 11, 1, 5, 30))
    assert env.dms() == {"UNY": 1, "UOWNER": 1}
    env.tick(utc(2026, 11, 1, 6, 30))  # the second 01:30
    env.tick(utc(2026, 11, 1, 7, 0))
    assert env.dms() == {"UNY": 1, "UOWNER": 1}
    assert len(_rounds(env)) == 1


def test_a_spring_forward_day_neither_skips_nor_doubles_the_round(env: Env) -> None:
    # Sunday 8 Mar 2026: 02:30 does not exist in New York; the pulse goes at 03:30 EDT.
    env.team(
        [("UNY", NY, Role.MEMBER), OWNER],
        pulse_weekday=6,
        working_days="0,1,2,3,4,5,6",
        pulse_time=time(2, 30),
        quiet_start=time(0, 0),
        quiet_end=time(0, 0),
        created="2026-03-06",
    )
    env.tick(utc(2026, 3, 8, 7, 29))
    assert env.dms() == {}
    env.tick(utc(2026, 3, 8, 7, 30))
    env.tick(utc(2026, 3, 8, 8, 30))
    assert env.dms() == {"UNY": 1, "UOWNER": 1}
    assert [r.local_date for r in _rounds(env)] == [date(2026, 3, 8)]


def test_a_european_member_keeps_ten_oclock_across_the_october_change(env: Env) -> None:
    env.team([("UBER", BERLIN, Role.MEMBER), OWNER], timezone=BERLIN, created="2026-10-16")
    env.tick(utc(2026, 10, 19, 8, 0))  # Mon 19 Oct, CEST: 10:00 is 08:00Z
    assert env.dms().get("UBER") == 1
    env.tick(utc(2026, 10, 26, 8, 30))  # Mon 26 Oct, now CET: 10:00 is 09:00Z
    assert env.dms().get("UBER") == 1
    env.tick(utc(2026, 10, 26, 9, 0))
    assert env.dms().get("UBER") == 2


def test_weekends_are_skipped_and_a_holiday_moves_the_round_to_the_next_day(env: Env) -> None:
    team_id = env.team([("UNY", NY, Role.MEMBER), OWNER], created="2026-12-02")
    teams.set_holidays(db=env.db, team_id=team_id, days={date(2026, 12, 7): "Company day"})
    for day in (5, 6, 7):  # Sat, Sun, the Monday holiday
        env.tick(utc(2026, 12, day, 16, 0))
    assert env.dms() == {}
    env.tick(utc(2026, 12, 8, 16, 0))  # Tuesday
    assert env.dms() == {"UNY": 1, "UOWNER": 1}
    assert [r.local_date for r in _rounds(env)] == [date(2026, 12, 8)]


def test_a_round_missed_during_downtime_is_caught_up_once_within_the_grace(env: Env) -> None:
    env.team([("UNY", NY, Role.MEMBER), ("UTOK", TOKYO, Role.MEMBER), OWNER], created="2026-11-27")
    # Down from before Monday's first pulse time until Monday 20:00 New York (10 h late).
    env.tick(utc(2026, 11, 30, 23, 59))
    env.tick(utc(2026, 12, 1, 0, 30))
    assert env.dms() == {"UNY": 1, "UTOK": 1, "UOWNER": 1}
    assert [r.status for r in _rounds(env)] == [RoundStatus.OPEN]


def test_a_round_older_than_the_grace_is_marked_missed_and_the_owner_told_once(env: Env) -> None:
    env.team([("UNY", NY, Role.MEMBER), OWNER], catchup_grace_hours=12, created="2026-11-27")
    env.tick(utc(2026, 12, 1, 16, 0))  # Tuesday: Monday's round is 30 h late
    assert env.dms() == {}
    assert [r.status for r in _rounds(env)] == [RoundStatus.MISSED]
    notes = env.slack.messages_in(env.slack.dm_channel("UOWNER"))
    assert len(notes) == 1 and "Mon 30 Nov" in notes[0]["text"]
    env.tick(utc(2026, 12, 1, 17, 0))
    assert len(env.slack.messages_in(env.slack.dm_channel("UOWNER"))) == 1
    env.tick(utc(2026, 12, 7, 15, 0))  # the next Monday runs normally
    assert env.dms() == {"UNY": 1, "UOWNER": 1}


def test_a_new_team_is_not_told_about_rounds_before_it_existed(env: Env) -> None:
    env.team([("UNY", NY, Role.MEMBER), OWNER], created="2026-12-02 12:00:00")
    env.tick(utc(2026, 12, 2, 12, 5))
    assert _rounds(env) == []
    assert env.slack.messages_in(env.slack.dm_channel("UOWNER")) == []


def test_a_round_closes_after_its_days_and_a_new_one_opens_next_week(env: Env) -> None:
    env.team([("UNY", NY, Role.MEMBER), OWNER], created="2026-11-27")
    env.tick(utc(2026, 11, 30, 15, 0))
    env.tick(utc(2026, 12, 4, 23, 1))  # Friday 18:01 New York
    assert [r.status for r in _rounds(env)] == [RoundStatus.CLOSED]
    env.tick(utc(2026, 12, 7, 15, 0))
    assert [r.status for r in _rounds(env)] == [RoundStatus.CLOSED, RoundStatus.OPEN]
    assert env.dms()["UNY"] == 2


def test_one_failing_team_does_not_stop_the_others(env: Env) -> None:
    good = env.team([("UNY", NY, Role.MEMBER)], created="2026-11-27")
    bad_id = env.team([("UBAD", NY, Role.MEMBER)], created="2026-11-27")
    with env.db.unit_of_work() as session:
        # A closing day no calendar can hold makes this team's planning raise.
        session.get(Team, bad_id).close_after_days = 10**9
    report = env.tick(utc(2026, 11, 30, 15, 0))
    assert env.dms() == {"UNY": 1}
    assert report.failed_teams == [bad_id]
    assert good not in report.failed_teams
