"""Office hours: planned per local date across DST, skipped on holidays, announced and reminded
exactly once through rate limits, server errors and lost answers, never posted late."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from bot.services import teams
from bot.storage import rituals
from bot.storage.models import OfficeHoursSession, Role, SessionStatus
from tests.services.conftest import Env, utc

NY = "America/New_York"
CHANNEL = "C0OFFICE"


def _team(env: Env, created: str = "2026-03-02", **settings: object) -> int:
    """Office hours on Thursdays, 15:00-16:00 New York time, in CHANNEL. The team's pulse never
    falls due (its weekday is a Sunday, not a working day) and it has no check-in, so the
    office hours are the only thing that posts."""
    env.slack.channel_members[CHANNEL] = ["UOWNER", "UANA"]
    settings = {
        "office_hours_channel_id": CHANNEL,
        "pulse_weekday": 6,
        "check_in_enabled": False,
        **settings,
    }
    return env.team(
        [("UOWNER", NY, Role.OWNER), ("UANA", NY, Role.MEMBER)], created=created, **settings
    )


def _sessions(env: Env) -> dict[date, OfficeHoursSession]:
    with env.db.unit_of_work() as session:
        return {s.local_date: s for s in session.scalars(select(OfficeHoursSession))}


def _posts(env: Env, kind: str | None = None) -> list[dict]:
    """Our office hours posts in the channel (of one kind), oldest first."""
    found = []
    for message in env.slack.messages_in(CHANNEL):
        meta = message.get("metadata") or {}
        if meta.get("event_type") == "atlas_office_hours" and (
            kind is None or meta["event_payload"]["kind"] == kind
        ):
            found.append(message)
    return found


# Two Thursdays around each DST change in New York (8 March and 1 November 2026), with the
# UTC offset of each: the wall clock stays, the UTC instants move by an hour.
DST = [
    pytest.param("2026-03-02", (date(2026, 3, 5), 5), (date(2026, 3, 12), 4), id="march"),
    pytest.param("2026-10-26", (date(2026, 10, 29), 4), (date(2026, 11, 5), 5), id="november"),
]


@pytest.mark.parametrize(("created", "first", "second"), DST)
def test_announcement_and_reminder_keep_their_local_time_across_a_dst_change(
    env: Env, created: str, first: tuple[date, int], second: tuple[date, int]
) -> None:
    _team(env, created=created)
    for day, offset in (first, second):
        at = lambda h, m=0, d=day, o=offset: utc(d.year, d.month, d.day, h + o, m)  # noqa: E731
        env.tick(at(7, 59))  # 07:59 New York: not yet
        assert len(_posts(env)) == (0 if day == first[0] else 2)
        env.tick(at(8))  # the start of the working day (quiet hours end at 08:00)
        env.tick(at(14, 44))
        assert len(_posts(env, "reminder")) == (0 if day == first[0] else 1)
        env.tick(at(14, 45))  # 15 minutes before the start
        row = _sessions(env)[day]
        assert (row.announce_at, row.remind_at, row.starts_at) == (at(8), at(14, 45), at(15))
        assert row.announced_at == at(8) and row.reminded_at == at(14, 45)
        env.tick(at(15, 30))  # during the session: nothing more
    assert [len(_posts(env, "announcement")), len(_posts(env, "reminder"))] == [2, 2]
    # Each reader sees their own time; the fallback is the team's wall clock, DST included.
    first_post, second_post = _posts(env, "announcement")
    zones = {5: "EST", 4: "EDT"}
    for post, (day, offset) in ((first_post, first), (second_post, second)):
        text = str(post["blocks"])
        start = int(utc(day.year, day.month, day.day, 15 + offset).timestamp())
        assert f"<!date^{start}^{{date_short_pretty}} at {{time}}|" in text
        assert f"{day:%a %-d %b}, 15:00–16:00 {zones[offset]}" in text
        assert "Bring one real output" in text
        button = next(b for b in post["blocks"] if b["type"] == "actions")["elements"][0]
        assert (button["action_id"], button["text"]["text"]) == (
            "office_hours.rsvp",
            "I'll be there",
        )
    reminder = _posts(env, "reminder")[0]
    assert "start in 15 minutes" in reminder["text"]
    here = next(b for b in reminder["blocks"] if b["type"] == "actions")["elements"][0]
    assert here["action_id"] == "office_hours.here"


def test_a_holiday_week_is_skipped_and_not_counted_as_missed(env: Env) -> None:
    team_id = _team(env)
    teams.set_holidays(db=env.db, team_id=team_id, days={date(2026, 3, 12): "Spring break"})
    env.tick(utc(2026, 3, 5, 13, 0))  # Thu 5 Mar 08:00 EST: announced
    env.tick(utc(2026, 3, 5, 20, 0))  # the start: next week's is planned (on the holiday)
    env.tick(utc(2026, 3, 12, 12, 0))
    env.tick(utc(2026, 3, 12, 18, 45))
    env.tick(utc(2026, 3, 12, 20, 30))
    skipped = _sessions(env)[date(2026, 3, 12)]
    assert (skipped.status, skipped.detail) == (SessionStatus.SKIPPED, rituals.HOLIDAY)
    assert len(_posts(env, "announcement")) == 1
    with env.db.unit_of_work() as session:
        weeks = rituals.past_sessions(session=session, team_id=team_id, until=utc(2026, 3, 13))
    assert [(day, held) for day, held, _, _ in weeks] == [(date(2026, 3, 5), True)]


def test_a_holiday_added_after_planning_still_skips_the_week(env: Env) -> None:
    team_id = _team(env)
    env.tick(utc(2026, 3, 5, 20, 0))  # too late for this week; next week's is planned
    assert _sessions(env)[date(2026, 3, 12)].status is SessionStatus.PLANNED
    teams.set_holidays(db=env.db, team_id=team_id, days={date(2026, 3, 12): None})
    env.tick(utc(2026, 3, 12, 12, 0))
    assert _sessions(env)[date(2026, 3, 12)].status is SessionStatus.SKIPPED
    assert _posts(env) == []


def test_downtime_past_the_start_posts_nothing_late_and_says_why(env: Env) -> None:
    team_id = _team(env)
    env.tick(utc(2026, 3, 5, 13, 0))  # announced at 08:00
    env.tick(utc(2026, 3, 5, 21, 0))  # the app was down until the end: no reminder now
    env.tick(utc(2026, 3, 12, 19, 30))  # down again, past next week's start
    env.tick(utc(2026, 3, 12, 19, 45))
    rows = _sessions(env)
    assert rows[date(2026, 3, 5)].status is SessionStatus.ANNOUNCED
    assert rows[date(2026, 3, 5)].detail == "not reminded: too late"
    assert rows[date(2026, 3, 12)].status is SessionStatus.PLANNED
    assert rows[date(2026, 3, 12)].detail == "not announced: too late"
    assert len(_posts(env)) == 1
    with env.db.unit_of_work() as session:
        weeks = rituals.past_sessions(session=session, team_id=team_id, until=utc(2026, 3, 13))
    assert [held for _, held, _, _ in weeks] == [True, False]  # a week without office hours


def test_an_announcement_just_before_the_start_carries_im_here_and_no_reminder_follows(
    env: Env,
) -> None:
    _team(env)
    env.tick(utc(2026, 3, 5, 19, 50))  # 14:50: the app came back 10 minutes before the start
    env.tick(utc(2026, 3, 5, 19, 51))
    posts = _posts(env)
    assert len(posts) == 1 and "announcement" in str(posts[0]["metadata"])
    buttons = next(b for b in posts[0]["blocks"] if b["type"] == "actions")["elements"]
    assert [b["action_id"] for b in buttons] == ["office_hours.rsvp", "office_hours.here"]
    assert _sessions(env)[date(2026, 3, 5)].detail.startswith("not reminded: the announcement")


def test_a_reminder_after_the_start_says_it_is_on_now(env: Env) -> None:
    _team(env)
    env.tick(utc(2026, 3, 5, 13, 0))
    env.tick(utc(2026, 3, 5, 20, 10))  # 15:10: late, but the session is still on
    reminder = _posts(env, "reminder")
    assert len(reminder) == 1 and "on now, until 16:00 EST" in reminder[0]["text"]


def test_a_429_storm_delays_the_announcement_then_posts_it_once(env: Env) -> None:
    _team(env)
    env.slack.fail("chat.postMessage", "ratelimited", times=25, retry_after=3)
    env.tick(utc(2026, 3, 5, 13, 0))  # 21 refusals in a row: given up for this tick
    row = _sessions(env)[date(2026, 3, 5)]
    assert row.status is SessionStatus.PLANNED
    assert row.detail == "announcement delayed: ratelimited"
    assert env.sleeps.count(3.0) >= 20  # every Retry-After was waited out
    env.tick(utc(2026, 3, 5, 13, 1))
    assert len(_posts(env, "announcement")) == 1
    assert _sessions(env)[date(2026, 3, 5)].status is SessionStatus.ANNOUNCED
    env.tick(utc(2026, 3, 5, 13, 2))
    assert len(_posts(env, "announcement")) == 1


def test_server_errors_delay_the_reminder_then_post_it_once(env: Env) -> None:
    _team(env)
    env.tick(utc(2026, 3, 5, 13, 0))
    env.slack.fail("chat.postMessage", "server_error", times=10, status=503)
    for minute in range(45, 50):
        env.tick(utc(2026, 3, 5, 19, minute))
    assert len(_posts(env, "reminder")) == 1
    assert env.slack.ratelimited_count() == 0
    assert len(env.slack.calls_to("chat.postMessage", outcome="http_503")) == 10
    row = _sessions(env)[date(2026, 3, 5)]
    assert row.reminder_ts == _posts(env, "reminder")[0]["ts"] and row.detail is None


def test_an_announcement_whose_answer_was_lost_is_found_in_the_channel_not_posted_again(
    env: Env,
) -> None:
    _team(env)
    env.timeout = 0.5
    env.slack.fail("chat.postMessage", "slow", times=1, delay=1.0)  # arrives, answer too late
    env.tick(utc(2026, 3, 5, 13, 0))
    assert _sessions(env)[date(2026, 3, 5)].detail.startswith("announcement unsure")
    env.slack.settle()  # the slow post lands in the stand-in
    env.tick(utc(2026, 3, 5, 13, 1))
    assert env.slack.calls_to("conversations.history")  # it looked before posting
    assert len(_posts(env, "announcement")) == 1
    row = _sessions(env)[date(2026, 3, 5)]
    assert row.status is SessionStatus.ANNOUNCED
    assert row.announcement_ts == _posts(env)[0]["ts"]


def test_a_reminder_whose_answer_was_lost_is_not_posted_twice(env: Env) -> None:
    _team(env)
    env.tick(utc(2026, 3, 5, 13, 0))
    env.timeout = 0.5
    env.slack.fail("chat.postMessage", "slow", times=1, delay=1.0)
    env.tick(utc(2026, 3, 5, 19, 45))
    env.slack.settle()
    env.tick(utc(2026, 3, 5, 19, 46))
    env.tick(utc(2026, 3, 5, 19, 47))
    assert len(_posts(env, "reminder")) == 1
    assert _sessions(env)[date(2026, 3, 5)].reminder_ts == _posts(env, "reminder")[0]["ts"]


def _claimed(env: Env, at: datetime) -> None:
    """As if a process claimed this week's announcement at `at` and died before Slack answered."""
    with env.db.unit_of_work() as session:
        row = session.scalar(select(OfficeHoursSession))
        row.detail, row.announced_at, row.attempts = "announcing", at, 1


def test_a_claim_left_by_a_dead_process_is_checked_then_posted_once(env: Env) -> None:
    _team(env)
    env.tick(utc(2026, 3, 5, 12, 0))  # planned
    _claimed(env, utc(2026, 3, 5, 13, 0))
    env.tick(utc(2026, 3, 5, 13, 1))  # another process may still be posting it: wait
    assert _posts(env) == [] and not env.slack.calls_to("conversations.history")
    env.tick(utc(2026, 3, 5, 13, 3))  # the claim has run out: look, then post once
    assert env.slack.calls_to("conversations.history")
    assert len(_posts(env, "announcement")) == 1
    env.tick(utc(2026, 3, 5, 13, 4))
    assert len(_posts(env, "announcement")) == 1


def test_when_the_channel_cannot_be_checked_nothing_is_posted_blindly(env: Env) -> None:
    _team(env)
    env.tick(utc(2026, 3, 5, 12, 0))
    _claimed(env, utc(2026, 3, 5, 12, 0))
    env.slack.fail("conversations.history", "server_error", times=None, status=500)
    env.tick(utc(2026, 3, 5, 13, 0))
    env.tick(utc(2026, 3, 5, 13, 5))
    assert _posts(env) == []
    assert _sessions(env)[date(2026, 3, 5)].detail.startswith("announcement unsure")
    env.tick(utc(2026, 3, 5, 20, 0))  # still unknown at the start: given up, and said so
    assert _sessions(env)[date(2026, 3, 5)].detail == "not announced: unsure whether it went out"
    env.slack.clear_faults()
    env.tick(utc(2026, 3, 5, 20, 1))
    assert _posts(env) == []


def test_a_revoked_token_stops_the_workspace(env: Env) -> None:
    from bot.storage import workspaces as workspace_repo

    _team(env)
    env.slack.fail("chat.postMessage", "error", times=None, error="account_inactive")
    env.tick(utc(2026, 3, 5, 13, 0))
    with env.db.unit_of_work() as session:
        workspace = workspace_repo.get_by_slack_id(session=session, slack_team_id=env.slack.team_id)
        assert workspace.active is False
    env.tick(utc(2026, 3, 5, 13, 5))
    assert len(env.slack.calls_to("chat.postMessage", outcome=None)) == 1


def test_switching_office_hours_off_drops_what_was_only_planned(env: Env) -> None:
    team_id = _team(env)
    env.tick(utc(2026, 3, 5, 12, 0))
    assert date(2026, 3, 5) in _sessions(env)
    with env.db.unit_of_work() as session:
        from bot.storage.models import Team

        session.get(Team, team_id).office_hours_channel_id = None
    env.tick(utc(2026, 3, 5, 12, 30))
    env.tick(utc(2026, 3, 5, 13, 0))
    assert _sessions(env) == {} and _posts(env) == []


def test_a_failure_in_office_hours_leaves_the_pulse_going(env: Env) -> None:
    from sqlalchemy import text

    _team(env, pulse_weekday=3)  # the pulse on Thursdays at 10:00 too
    rename = "ALTER TABLE {} RENAME TO {}"
    with env.db.engine.begin() as connection:  # the office hours table is gone for a while
        connection.execute(text(rename.format("office_hours_sessions", "away")))
    try:
        report = env.tick(utc(2026, 3, 5, 15, 0))
    finally:
        with env.db.engine.begin() as connection:
            connection.execute(text(rename.format("away", "office_hours_sessions")))
    assert report.failed_teams == [] and report.opened
    assert env.dms() == {"UOWNER": 1, "UANA": 1}  # the pulse went out
    assert _posts(env) == []
