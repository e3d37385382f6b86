"""Only members of a channel or user group (or workspace admins) can make it a team."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from bot.sandbox import FakeSlack
from bot.sandbox.running import RunningApp
from bot.storage.models import Delivery, Member, Team
from tests.app import test_setup_flow
from tests.app.test_setup_flow import FULL, SET_UP_AT, _open_modal, _values
from tests.services.conftest import Env
from tests.waiting import eventually

PRIVATE = "C0SECRET"  # a private channel the app was invited to, the outsider was not
INSIDERS = ["U0BOSS", "U0ANA", "U0BEN", "U0CAT", "U0DAN"]
env = test_setup_flow.env  # the same people and clock as the setup tests


def _private(slack: FakeSlack) -> None:
    slack.add_user("U0EVE", tz="Europe/Berlin")
    slack.add_user("U0BOSS", tz="Europe/Berlin")
    slack.add_user("U0DAN", tz="Europe/Berlin")
    slack.channel_members[PRIVATE] = [*INSIDERS, slack.bot_user_id]


def _dms(slack: FakeSlack, user: str) -> list[str]:
    return [
        json.dumps(m.get("blocks") or m["text"]) for m in slack.messages_in(slack.dm_channel(user))
    ]


def test_an_outsider_cannot_enrol_a_private_channel_and_learns_nothing_of_it(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _private(slack)
    view = _open_modal(running, slack, "U0EVE")
    form = {**FULL, "name": "Secret", "channel": PRIVATE, "owner": "U0EVE"}
    form |= {"ai_lead": None, "sponsor": None, "min_group_size": "5"}
    reply = running.sender().view_submission(view, _values(**form), user_id="U0EVE")
    assert reply.status == 200

    eventually(lambda: bool(_dms(slack, "U0EVE")))
    (told,) = _dms(slack, "U0EVE")
    assert "was not set up" in told and "not a member of that channel" in told
    assert "people in the team" not in told and str(len(INSIDERS)) not in told
    with env.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Team)) == 0
        assert session.scalar(select(func.count()).select_from(Member)) == 0

    env.tick(SET_UP_AT + timedelta(days=1, hours=5))  # the next pulse time: nobody is asked
    with env.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Delivery)) == 0
    assert all(not slack.messages_in(slack.dm_channel(u)) for u in INSIDERS)


def test_a_member_of_the_channel_or_a_workspace_admin_can(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _private(slack)
    form = {**FULL, "name": "Secret", "channel": PRIVATE, "owner": "U0BOSS"}
    form |= {"ai_lead": None, "sponsor": None}
    view = _open_modal(running, slack, "U0BOSS")
    running.sender().view_submission(view, _values(**form), user_id="U0BOSS")
    eventually(lambda: any("is set up" in t for t in _dms(slack, "U0BOSS")))

    slack.users["U0EVE"].is_admin = True
    view = _open_modal(running, slack, "U0EVE", text="setup new")
    admin_form = {**form, "name": "Secret too", "owner": "U0EVE"}
    running.sender().view_submission(view, _values(**admin_form), user_id="U0EVE")
    eventually(lambda: any("is set up" in t for t in _dms(slack, "U0EVE")))
    with env.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Team)) == 2
