"""A pause date out of range, through the real app: a signed `/atlas pause until 9999-12-31` gets
a reply with the range and a date to copy, nothing is paused, and the Home tab still renders,
even for a pause end stored before pauses were bounded."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update

from bot.sandbox import FakeSlack
from bot.sandbox.running import RunningApp
from bot.services import members
from bot.storage.models import Member, Role
from tests.home_tab import open_home, text_of
from tests.services.conftest import Env, utc

NOW = utc(2026, 11, 18, 17, 0)  # Wednesday


@pytest.fixture
def env(running: RunningApp, slack: FakeSlack) -> Env:
    env = Env(db=running.db, slack=slack, app=running.ctx)
    env.team(
        [("U0OWNER", "America/New_York", Role.OWNER), ("U0MEMBER1", "Europe/Berlin", Role.MEMBER)],
        created="2026-11-10",
    )
    running.ctx.clock = lambda: NOW
    return env


def _paused(env: Env) -> list[tuple[bool, date | None]]:
    data = members.my_data(db=env.db, slack_team_id=env.slack.team_id, user_id="U0MEMBER1")
    return [(is_paused, until) for _, _, is_paused, until in data.teams]


def test_a_pause_until_9999_is_refused_with_the_range_and_the_home_tab_renders(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    reply = running.sender().command("pause until 9999-12-31", user_id="U0MEMBER1")
    assert reply.status == 200
    body = reply.json
    assert body["response_type"] == "ephemeral"
    assert "You can pause for up to a year" in body["text"]
    assert "`/atlas pause until 2027-11-18`" in body["text"]  # a year from the app's today
    running.settle()
    assert _paused(env) == [(False, None)]

    view = open_home(running, slack, "U0MEMBER1")
    assert "next pulse Mon 23 Nov at 10:00" in text_of(view)


def test_the_last_date_offered_is_accepted(running: RunningApp, env: Env) -> None:
    reply = running.sender().command("pause until 2027-11-18", user_id="U0MEMBER1")
    assert "Paused the pulse" in reply.json["text"] and "2027" in reply.json["text"]
    running.settle()
    assert _paused(env) == [(True, date(2027, 11, 18))]


def test_a_pause_end_stored_out_of_range_still_renders_the_home_tab(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    with env.db.unit_of_work() as session:
        session.execute(
            update(Member)
            .where(Member.slack_user_id == "U0MEMBER1")
            .values(paused=True, paused_until=date(9999, 12, 31))
        )
    text = text_of(open_home(running, slack, "U0MEMBER1"))
    assert "paused until Fri 31 Dec 9999; no pulse planned in the next few weeks" in text
