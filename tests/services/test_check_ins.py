"""The owner's weekly check-in: due at the same local time across DST, moved or skipped around
holidays, sent to each owner exactly once through rate limits, server errors and lost answers,
and never for a week that is over."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bot.blocks import check_ins as blocks
from bot.services import teams
from bot.storage import rituals
from bot.storage.models import CheckInRecord, Role
from tests.services.conftest import Env, utc

NY = "America/New_York"
OWNERS = ("UOWNER", "UOWNER2")


def _team(env: Env, created: str = "2026-03-02", **settings: object) -> int:
    """Two owners and a member; the check-in on Fridays at 14:00 New York time. The team's pulse
    never falls due (its weekday is a Sunday, not a working day), so only check-ins are sent."""
    settings = {"pulse_weekday": 6, **settings}
    people = [(owner, NY, Role.OWNER) for owner in OWNERS] + [("UANA", NY, Role.MEMBER)]
    return env.team(people, created=created, **settings)


def _check_ins(env: Env) -> dict[date, CheckInRecord]:
    with env.db.unit_of_work() as session:
        return {r.week_of: r for r in session.scalars(select(CheckInRecord))}


def _dms(env: Env) -> dict[str, int]:
    """How many check-in DMs each person got."""
    counts: dict[str, int] = {}
    for user_id in env.slack.users:
        for message in env.slack.messages_in(env.slack.dm_channel(user_id)):
            if (message.get("metadata") or {}).get("event_type") == "atlas_check_in":
                counts[user_id] = counts.get(user_id, 0) + 1
    return counts


DST = [
    pytest.param("2026-03-02", (date(2026, 3, 6), 5), (date(2026, 3, 13), 4), id="march"),
    pytest.param("2026-10-26", (date(2026, 10, 30), 4), (date(2026, 11, 6), 5), id="november"),
]


@pytest.mark.parametrize(("created", "first", "second"), DST)
def test_the_check_in_goes_out_at_the_same_local_time_across_a_dst_change(
    env: Env, created: str, first: tuple[date, int], second: tuple[date, int]
) -> None:
    _team(env, created=created)
    for n, (day, offset) in enumerate((first, second)):
        env.tick(utc(day.year, day.month, day.day, 13 + offset, 59))  # 13:59 New York
        assert _dms(env) == ({} if n == 0 else dict.fromkeys(OWNERS, 1))
        env.tick(utc(day.year, day.month, day.day, 14 + offset))  # 14:00
        assert _dms(env) == dict.fromkeys(OWNERS, n + 1)
        monday = date.fromordinal(day.toordinal() - day.weekday())
        record = _check_ins(env)[monday]
        assert record.due_at == utc(day.year, day.month, day.day, 14 + offset)
        assert record.sent_at == record.due_at and sorted(record.sent_to) == list(OWNERS)
    assert "UANA" not in _dms(env)  # owners only
    dm = env.slack.messages_in(env.slack.dm_channel("UOWNER"))[-1]
    text = str(dm["blocks"])
    assert "Is the rollout on track?" in text and "Did anything ship this week?" in text
    actions = [
        e["action_id"] for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert actions == [
        "check_in.on_track.yes",
        "check_in.on_track.partly",
        "check_in.on_track.no",
        "check_in.shipped.yes",
        "check_in.shipped.no",
    ]


def test_a_holiday_moves_the_check_in_to_the_next_working_day_of_the_week(env: Env) -> None:
    team_id = _team(env, check_in_weekday=2)  # Wednesdays
    teams.set_holidays(db=env.db, team_id=team_id, days={date(2026, 3, 4): "Founders' day"})
    env.tick(utc(2026, 3, 4, 19, 0))  # Wednesday 14:00: a holiday
    assert _dms(env) == {}
    env.tick(utc(2026, 3, 5, 19, 0))  # Thursday 14:00
    assert _dms(env) == dict.fromkeys(OWNERS, 1)


def test_a_week_with_no_working_day_left_has_no_check_in_and_counts_as_nothing(env: Env) -> None:
    team_id = _team(env)
    env.tick(utc(2026, 3, 6, 19, 0))  # Friday 6 March: sent
    teams.set_holidays(db=env.db, team_id=team_id, days={date(2026, 3, 13): None})
    env.tick(utc(2026, 3, 9, 14, 0))
    env.tick(utc(2026, 3, 13, 18, 0))
    env.tick(utc(2026, 3, 14, 18, 0))
    assert _dms(env) == dict.fromkeys(OWNERS, 1)
    assert list(_check_ins(env)) == [date(2026, 3, 2)]
    with env.db.unit_of_work() as session:
        sent = rituals.sent_check_ins(session=session, team_id=team_id, until=utc(2026, 3, 16))
    assert [r.week_of for r in sent] == [date(2026, 3, 2)]


def test_downtime_delays_the_check_in_within_its_week(env: Env) -> None:
    _team(env)
    env.tick(utc(2026, 3, 2, 15, 0))  # Monday: planned
    env.tick(utc(2026, 3, 7, 16, 0))  # back on Saturday: still this week, so sent now
    assert _dms(env) == dict.fromkeys(OWNERS, 1)
    assert _check_ins(env)[date(2026, 3, 2)].sent_at == utc(2026, 3, 7, 16, 0)


def test_a_check_in_is_never_sent_for_a_week_that_is_over(env: Env) -> None:
    _team(env)
    env.tick(utc(2026, 3, 9, 14, 0))  # Monday 9 March: planned for Friday
    env.tick(utc(2026, 3, 16, 14, 0))  # the app was down until the next Monday
    assert _dms(env) == {}
    records = _check_ins(env)
    assert records[date(2026, 3, 9)].sent_at is None  # on record as never sent
    env.tick(utc(2026, 3, 20, 18, 0))  # Friday 20 March 14:00 EDT
    assert _dms(env) == dict.fromkeys(OWNERS, 1)


def test_a_429_storm_delays_the_check_in_then_sends_it_once_to_each_owner(env: Env) -> None:
    _team(env)
    env.slack.fail("chat.postMessage", "ratelimited", times=25, retry_after=3)
    env.tick(utc(2026, 3, 6, 19, 0))
    assert _dms(env) == {"UOWNER2": 1}  # the first owner's DM gave up after 21 refusals
    for minute in range(1, 4):
        env.tick(utc(2026, 3, 6, 19, minute))
    assert _dms(env) == dict.fromkeys(OWNERS, 1)
    assert env.slack.ratelimited_count("chat.postMessage") == 25
    record = _check_ins(env)[date(2026, 3, 2)]
    assert sorted(record.sent_to) == list(OWNERS) and record.attempts == 2


def test_server_errors_delay_the_check_in_then_send_it_once(env: Env) -> None:
    _team(env)
    env.slack.fail("chat.postMessage", "server_error", times=10, status=503)
    env.tick(utc(2026, 3, 6, 19, 0))
    assert _dms(env) == {}
    assert _check_ins(env)[date(2026, 3, 2)].sent_at is None
    for minute in range(1, 8):
        env.tick(utc(2026, 3, 6, 19, minute))
    assert _dms(env) == dict.fromkeys(OWNERS, 1)


def test_a_check_in_whose_answer_was_lost_is_found_in_the_dm_not_sent_again(env: Env) -> None:
    _team(env)
    env.timeout = 0.5
    env.slack.fail("chat.postMessage", "slow", times=1, delay=1.0)  # arrives, answer too late
    env.tick(utc(2026, 3, 6, 19, 0))
    assert _check_ins(env)[date(2026, 3, 2)].sent_to == ["UOWNER2"]
    env.slack.settle()  # the slow post lands in the stand-in
    env.tick(utc(2026, 3, 6, 19, 1))
    env.tick(utc(2026, 3, 6, 19, 5))
    assert env.slack.calls_to("conversations.history")  # it looked before sending
    assert _dms(env) == dict.fromkeys(OWNERS, 1)
    assert sorted(_check_ins(env)[date(2026, 3, 2)].sent_to) == list(OWNERS)


def test_a_pass_left_unfinished_by_a_dead_process_sends_only_what_never_arrived(
    env: Env,
) -> None:
    _team(env)
    env.tick(utc(2026, 3, 2, 15, 0))
    with env.db.unit_of_work() as session:  # a process claimed the pass at 14:00, sent one DM
        record = session.scalar(select(CheckInRecord))  # and died before writing it down
        record.attempts = 1
    env.caller().call(
        "chat.postMessage", channel="UOWNER2", text="…", metadata=blocks.metadata(record.id)
    )
    env.tick(utc(2026, 3, 6, 19, 1))
    assert len(env.slack.calls_to("conversations.history")) == 2  # both looked up first
    assert _dms(env) == dict.fromkeys(OWNERS, 1)
    assert sorted(_check_ins(env)[date(2026, 3, 2)].sent_to) == list(OWNERS)


def test_a_team_with_the_check_in_off_gets_none(env: Env) -> None:
    _team(env, check_in_enabled=False)
    env.tick(utc(2026, 3, 6, 19, 0))
    assert _dms(env) == {} and _check_ins(env) == {}


def test_an_owner_added_later_in_the_week_gets_the_check_in_too(env: Env) -> None:
    team_id = _team(env)
    env.tick(utc(2026, 3, 6, 19, 0))
    env.slack.add_user("UOWNER3", tz=NY)
    teams.add_member(db=env.db, team_id=team_id, slack_user_id="UOWNER3", role=Role.OWNER)
    env.tick(utc(2026, 3, 6, 20, 0))
    assert _dms(env) == {**dict.fromkeys(OWNERS, 1), "UOWNER3": 1}
