"""The replies around a pause: a refused date says the range and a date to copy, counted from the
person's own today; the Home tab shows any stored pause end, even one from before the bound."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot.blocks import home, member
from bot.services.home import HomeData, Membership
from bot.storage.models import Role


@pytest.mark.parametrize(
    ("today", "latest"),
    [
        (date(2026, 6, 30), "2027-06-30"),
        (date(2031, 1, 15), "2032-01-15"),
        (date(2028, 2, 29), "2029-02-28"),
    ],
)
def test_a_date_too_far_ahead_offers_the_last_date_a_pause_may_run_to(
    today: date, latest: str
) -> None:
    reply = member.bad_date("until 9999-12-31", today)
    assert "You can pause for up to a year" in reply.text
    assert f"`/atlas pause until {latest}`" in reply.text
    assert "`/atlas pause`" in reply.text  # the open-ended pause is offered too


def test_a_date_not_after_today_names_the_range_and_a_date_two_weeks_out() -> None:
    reply = member.bad_date("until 2026-06-30", date(2026, 6, 30))
    assert "“2026-06-30” is not after today" in reply.text
    assert "from tomorrow to Wed 30 Jun 2027" in reply.text
    assert "`/atlas pause until 2026-07-14`" in reply.text


def test_an_unreadable_date_shows_the_formats_with_a_real_date() -> None:
    reply = member.bad_date("next fortnight", date(2026, 12, 20))
    assert "I could not read a date in “next fortnight”" in reply.text
    assert "`/atlas pause until 2027-01-03`" in reply.text
    assert "Jan 3 or 03/01/2027" in reply.text


def test_a_refused_date_is_quoted_without_mentions_or_formatting() -> None:
    text = json.dumps(member.bad_date("<@U0BOSS> <!channel> *soon*", date(2026, 6, 30)).blocks)
    assert "<@U0BOSS>" not in text and "<!channel>" not in text and "*soon*" not in text


def test_without_today_the_reply_still_names_the_range() -> None:
    assert "at most a year ahead" in member.bad_date("whenever").text


def _paused_until(until: date) -> HomeData:
    membership = Membership(
        team_name="Data",
        role=Role.MEMBER,
        min_group_size=5,
        pulse_on=True,
        paused=True,
        paused_until=until,
        next_pulse=None,
        zone_name="Europe/Berlin",
        today=date(2026, 6, 30),
    )
    return HomeData(
        memberships=(membership,),
        recent=(),
        older_rounds=0,
        answer_count=0,
        owned=(),
        more_owned=(),
    )


def test_the_home_tab_shows_a_pause_end_stored_out_of_range_with_its_year() -> None:
    view = home.home_view(_paused_until(date(9999, 12, 31)))
    text = json.dumps(view)
    assert "paused until Fri 31 Dec 9999; no pulse planned in the next few weeks" in text
    assert ("home.resume", "resume") in [
        (b["accessory"]["action_id"], b["accessory"]["value"])
        for b in view["blocks"]
        if b.get("accessory")
    ]


def test_a_pause_ending_this_year_shows_no_year() -> None:
    text = json.dumps(home.home_view(_paused_until(date(2026, 7, 10))))
    assert "paused until Fri 10 Jul;" in text
