"""Setting a team up through the modal, and membership that follows the channel or user group."""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from typing import Any

import pytest

from bot.sandbox import FakeSlack
from bot.sandbox.people import Person
from bot.sandbox.running import RunningApp
from bot.storage import teams as team_repo
from bot.storage.models import Answer, Delivery, Member, Role, Team, TeamSource, TeamTool
from tests.services.conftest import Env, utc
from tests.waiting import eventually

CHANNEL = "C0GROWTH"
PEOPLE = ["U0OWNER", "U0LEAD", "U0CEO", "U0ANA", "U0BEN", "U0CAT"]
# The app's clock while teams are set up: a Monday, whatever the machine's date. Rounds are
# planned from a team's creation, so the ticks below must come after it.
SET_UP_AT = utc(2026, 11, 30, 10, 0)


@pytest.fixture
def env(running: RunningApp, slack: FakeSlack) -> Env:
    for user in PEOPLE:
        if user not in slack.users:
            slack.add_user(user, tz="Europe/Berlin")
    slack.channel_members[CHANNEL] = [*PEOPLE, slack.bot_user_id]
    # Whoever sets a team up from a user group is in it.
    slack.usergroup_members["S0DESIGN"] = ["U0OWNER", "U0ANA", "U0BEN"]
    slack.usergroup_handles["S0DESIGN"] = "design"
    running.ctx.clock = lambda: SET_UP_AT
    return Env(db=running.db, slack=slack, app=running.ctx)


def _values(**fields: Any) -> dict[str, Any]:
    """A setup modal's state.values, the way Slack sends them for each kind of input."""
    kinds = {
        "name": ("plain_text_input", "value"),
        "channel": ("conversations_select", "selected_conversation"),
        "office_hours_channel": ("conversations_select", "selected_conversation"),
        "owner": ("users_select", "selected_user"),
        "ai_lead": ("users_select", "selected_user"),
        "sponsor": ("users_select", "selected_user"),
        "rollout_start": ("datepicker", "selected_date"),
        "timezone": ("plain_text_input", "value"),
        "pulse_time": ("timepicker", "selected_time"),
        "office_hours_time": ("timepicker", "selected_time"),
        "min_group_size": ("number_input", "value"),
        "tools": ("plain_text_input", "value"),
    }
    values: dict[str, Any] = {}
    for block_id, value in fields.items():
        if block_id in ("pulse_day", "office_hours_day", "usergroup"):
            option = (
                None
                if value is None
                else {"value": str(value), "text": {"type": "plain_text", "text": str(value)}}
            )
            values[block_id] = {"value": {"type": "static_select", "selected_option": option}}
            continue
        kind, key = kinds[block_id]
        values[block_id] = {"value": {"type": kind, key: value}}
    return values


FULL = {
    "name": "Growth",
    "channel": CHANNEL,
    "owner": "U0OWNER",
    "ai_lead": "U0LEAD",
    "sponsor": "U0CEO",
    "rollout_start": "2026-10-01",
    "timezone": "Europe/Berlin",
    "pulse_day": 1,
    "pulse_time": "09:30",
    "min_group_size": "4",
    "tools": "ChatGPT\nClaude\nGitHub Copilot",
    "office_hours_channel": "C0AIHELP",
    "office_hours_day": 3,
    "office_hours_time": "16:00",
}


def _open_modal(running: RunningApp, slack: FakeSlack, user: str, text: str = "setup") -> dict:
    before = len(slack.calls_to("views.open"))
    reply = running.sender().command(text, user_id=user)
    assert reply.status == 200
    eventually(lambda: len(slack.calls_to("views.open")) > before)
    return slack.calls_to("views.open")[-1].json("view")


def _confirmed(slack: FakeSlack, saves: int, user: str = "U0OWNER") -> None:
    """Wait for the confirmation DM of each save: the work after the ack is done."""
    eventually(
        lambda: (
            sum(
                "settings are saved" in m["text"] or "is set up" in m["text"]
                for m in slack.messages_in(slack.dm_channel(user))
            )
            >= saves
        )
    )


def _teams(env: Env) -> list[Team]:
    with env.db.unit_of_work() as session:
        teams = session.query(Team).order_by(Team.id).all()
        session.expunge_all()
        return teams


def _active(env: Env, team_id: int) -> dict[str, Role]:
    with env.db.unit_of_work() as session:
        return {
            m.slack_user_id: m.role
            for m in team_repo.active_members(session=session, team_id=team_id)
        }


def test_a_new_owner_sets_up_a_team_in_the_modal_and_its_channel_becomes_the_team(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    view = _open_modal(running, slack, "U0OWNER")
    assert len(view["blocks"]) <= 100
    owner_block = next(b for b in view["blocks"] if b.get("block_id") == "owner")
    assert owner_block["element"]["initial_user"] == "U0OWNER"  # whoever opens it, by default
    # The modal is filled in after it opened: the person's own zone and the user groups.
    eventually(lambda: bool(slack.calls_to("views.update")))
    updated = slack.calls_to("views.update")[-1].json("view")
    zone = next(b for b in updated["blocks"] if b.get("block_id") == "timezone")
    assert zone["element"]["initial_value"] == "America/New_York"  # from users.info
    groups = next(b for b in updated["blocks"] if b.get("block_id") == "usergroup")
    assert groups["element"]["options"][0]["text"]["text"] == "@design"

    reply = running.sender().view_submission(updated, _values(**FULL), user_id="U0OWNER")
    assert reply.status == 200 and reply.text == ""  # closes the modal

    (team,) = _teams(env)
    assert (team.name, team.source_kind, team.source_id) == ("Growth", TeamSource.CHANNEL, CHANNEL)
    assert (team.timezone, team.pulse_weekday, team.pulse_time) == ("Europe/Berlin", 1, time(9, 30))
    assert team.rollout_start == date(2026, 10, 1) and team.min_group_size == 4
    assert (team.office_hours_channel_id, team.office_hours_weekday) == ("C0AIHELP", 3)
    assert team.office_hours_time == time(16, 0) and team.configured_by == "U0OWNER"
    with env.db.unit_of_work() as session:
        tools = [t.label for t in session.query(TeamTool).filter_by(team_id=team.id, active=True)]
    assert tools == ["ChatGPT", "Claude", "GitHub Copilot"]
    # Everyone in the channel is in the team (the app itself is not), with the named roles.
    eventually(lambda: len(_active(env, team.id)) == len(PEOPLE))
    roles = _active(env, team.id)
    assert roles["U0OWNER"] is Role.OWNER and roles["U0LEAD"] is Role.AI_LEAD
    assert roles["U0CEO"] is Role.EXECUTIVE_SPONSOR and roles["U0ANA"] is Role.MEMBER
    assert slack.bot_user_id not in roles
    # The owner hears what is now set, and how many joined.
    eventually(lambda: bool(slack.messages_in(slack.dm_channel("U0OWNER"))))
    confirmation = slack.messages_in(slack.dm_channel("U0OWNER"))[-1]
    text = json.dumps(confirmation["blocks"])
    assert (
        "6 people in the team now" in text and "<#C0GROWTH>" in text and "Tuesdays at 09:30" in text
    )


def test_invalid_values_come_back_as_field_errors_and_nothing_is_saved(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    view = _open_modal(running, slack, "U0OWNER")
    bad = {
        **FULL,
        "ai_lead": "U0OWNER",  # the owner cannot also be the AI lead
        "timezone": "Mars/Olympus",
        "min_group_size": "2",
        "tools": "",
        "pulse_day": 6,  # Sunday is not a working day
    }
    reply = running.sender().view_submission(view, _values(**bad), user_id="U0OWNER")
    assert reply.status == 200
    body = reply.json
    assert body["response_action"] == "errors"
    errors = body["errors"]
    assert set(errors) == {"timezone", "min_group_size", "tools"}  # read errors come first
    assert "Europe/Berlin" in errors["timezone"] and "3 to 10" in errors["min_group_size"]
    assert _teams(env) == []
    # Once those are fixed, the checks across fields speak up, still saving nothing.
    fixed = {**bad, "timezone": "UTC", "min_group_size": "5", "tools": "ChatGPT"}
    body = running.sender().view_submission(view, _values(**fixed), user_id="U0OWNER").json
    assert set(body["errors"]) == {"ai_lead", "pulse_day"}
    assert "rollout owner" in body["errors"]["ai_lead"]
    assert _teams(env) == []
    # Neither a channel nor a user group: there would be nobody to ask.
    no_source = {**fixed, "ai_lead": None, "pulse_day": 0, "channel": None, "usergroup": None}
    body = running.sender().view_submission(view, _values(**no_source), user_id="U0OWNER").json
    assert set(body["errors"]) == {"channel"}
    assert _teams(env) == []


def test_a_partial_form_takes_the_defaults(running: RunningApp, slack: FakeSlack, env: Env) -> None:
    view = _open_modal(running, slack, "U0OWNER")
    partial = {
        "name": "Ops",
        "usergroup": "S0DESIGN",
        "channel": None,
        "owner": "U0OWNER",
        "ai_lead": None,
        "sponsor": None,
        "rollout_start": None,
        "timezone": "UTC",
        "pulse_day": 0,
        "pulse_time": "10:00",
        "min_group_size": "5",
        "tools": "ChatGPT",
        "office_hours_channel": None,
        "office_hours_day": 3,
        "office_hours_time": "15:00",
    }
    reply = running.sender().view_submission(view, _values(**partial), user_id="U0OWNER")
    assert reply.status == 200 and reply.text == ""
    (team,) = _teams(env)
    assert (team.source_kind, team.source_id) == (TeamSource.USERGROUP, "S0DESIGN")
    assert team.rollout_start is None and team.office_hours_channel_id is None
    eventually(lambda: set(_active(env, team.id)) == {"U0OWNER", "U0ANA", "U0BEN"})
    _confirmed(slack, 1)


def test_the_owner_edits_the_settings_and_others_cannot(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    view = _open_modal(running, slack, "U0OWNER")
    running.sender().view_submission(view, _values(**FULL), user_id="U0OWNER")
    (team,) = _teams(env)
    eventually(lambda: len(_active(env, team.id)) == len(PEOPLE))

    edit = _open_modal(running, slack, "U0OWNER")
    assert json.loads(edit["private_metadata"]) == {"team_id": team.id}
    initial = {b["block_id"]: b["element"] for b in edit["blocks"] if "block_id" in b}
    assert initial["name"]["initial_value"] == "Growth"
    assert initial["channel"]["initial_conversation"] == CHANNEL
    assert initial["min_group_size"]["initial_value"] == "4"
    assert initial["tools"]["initial_value"] == "ChatGPT\nClaude\nGitHub Copilot"

    # Someone else may neither open nor submit it.
    refused = running.sender().command("setup Growth", user_id="U0ANA").json
    assert "cannot edit a team called" in refused["text"]
    body = (
        running.sender()
        .view_submission(edit, _values(**{**FULL, "name": "Hijacked"}), user_id="U0ANA")
        .json
    )
    assert body["response_action"] == "errors"
    assert _teams(env)[0].name == "Growth"

    # The owner hands the AI lead role to someone else: the old lead stays a member.
    changed = {**FULL, "ai_lead": "U0BEN", "min_group_size": "6"}
    running.sender().view_submission(edit, _values(**changed), user_id="U0OWNER")
    roles = _active(env, team.id)
    assert roles["U0BEN"] is Role.AI_LEAD and roles["U0LEAD"] is Role.MEMBER
    assert _teams(env)[0].min_group_size == 6
    _confirmed(slack, 2)


def test_joiners_are_asked_leavers_are_not_and_their_history_stays(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    view = _open_modal(running, slack, "U0OWNER")
    running.sender().view_submission(view, _values(**FULL), user_id="U0OWNER")
    (team,) = _teams(env)
    eventually(lambda: len(_active(env, team.id)) == len(PEOPLE))
    sender = running.sender()

    def channel_event(kind: str, user: str, event_id: str, retry: int | None = None) -> None:
        members = slack.channel_members[CHANNEL]
        if kind == "member_joined_channel" and user not in members:
            members.append(user)
        if kind == "member_left_channel" and user in members:
            members.remove(user)
        event = {"type": kind, "user": user, "channel": CHANNEL}
        assert sender.event(event, event_id=event_id, retry_num=retry).status == 200

    slack.add_user("U0NEW", tz="Europe/Berlin")
    channel_event("member_joined_channel", "U0NEW", "Ev1")
    eventually(lambda: "U0NEW" in _active(env, team.id))
    # Week 1 goes out to everyone, the joiner too; Ana answers, then leaves the channel.
    env.tick(utc(2026, 12, 1, 8, 31))  # Tuesday 09:31 in Berlin
    assert Person("U0ANA", slack, sender).answer("ai_frequency", "daily").status == 200
    channel_event("member_left_channel", "U0ANA", "Ev2")
    running.settle()  # her answer is saved and her leaving applied, in whichever order
    assert "U0ANA" not in _active(env, team.id)
    with env.db.unit_of_work() as session:
        ana = session.query(Member).filter_by(team_id=team.id, slack_user_id="U0ANA").one()
        assert ana.left_at is not None
        kept = session.query(Answer).join(Delivery).filter(Delivery.member_id == ana.id).count()
    assert kept == 1  # her answer stays in the history
    # The joiner leaves again; then Slack retries his old "joined" event: it changes nothing.
    channel_event("member_left_channel", "U0NEW", "Ev3")
    eventually(lambda: "U0NEW" not in _active(env, team.id))
    channel_event("member_joined_channel", "U0NEW", "Ev1", retry=1)
    slack.channel_members[CHANNEL].remove("U0NEW")  # he is not really back
    running.settle()  # the listener runs after the ack: let a wrong re-add show
    assert "U0NEW" not in _active(env, team.id)
    # A named role stays in the team even out of the channel.
    channel_event("member_left_channel", "U0LEAD", "Ev4")
    # Week 2 asks the people in the channel now, and the AI lead.
    env.tick(utc(2026, 12, 8, 8, 31))
    asked = env.dms()
    assert asked["U0ANA"] == 1 and asked["U0NEW"] == 1
    assert asked["U0CAT"] == 2 and asked["U0LEAD"] == 2
    assert _active(env, team.id)["U0LEAD"] is Role.AI_LEAD
    _confirmed(slack, 1)


def test_a_user_group_team_follows_subteam_changes(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    view = _open_modal(running, slack, "U0OWNER")
    form = {**FULL, "channel": None, "usergroup": "S0DESIGN", "ai_lead": None, "sponsor": None}
    running.sender().view_submission(view, _values(**form), user_id="U0OWNER")
    (team,) = _teams(env)
    eventually(lambda: set(_active(env, team.id)) == {"U0OWNER", "U0ANA", "U0BEN"})
    change = {
        "type": "subteam_members_changed",
        "subteam_id": "S0DESIGN",
        "added_users": ["U0CAT"],
        "removed_users": ["U0BEN"],
    }
    assert running.sender().event(change).status == 200
    eventually(lambda: set(_active(env, team.id)) == {"U0OWNER", "U0ANA", "U0CAT"})
    _confirmed(slack, 1)


def test_the_periodic_sync_catches_missed_changes_and_a_failed_read_changes_nothing(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    view = _open_modal(running, slack, "U0OWNER")
    running.sender().view_submission(view, _values(**FULL), user_id="U0OWNER")
    (team,) = _teams(env)
    eventually(lambda: len(_active(env, team.id)) == len(PEOPLE))
    synced = _teams(env)[0].members_synced_at
    # Changes Slack never told us about (the app was down): the scheduler reads the channel.
    slack.add_user("U0DAN", tz="Europe/Berlin")
    slack.channel_members[CHANNEL] = ["U0OWNER", "U0LEAD", "U0CEO", "U0DAN"]
    # Before six hours nothing is read again.
    env.tick(synced + timedelta(hours=1))
    assert "U0DAN" not in _active(env, team.id)
    # Slack is down at the next sync: nobody is removed on a failed read.
    slack.fail("conversations.members", "server_error", times=None, status=503)
    env.tick(synced + timedelta(hours=7))
    assert len(_active(env, team.id)) == len(PEOPLE)
    slack.clear_faults()
    env.tick(synced + timedelta(hours=7, minutes=1))
    assert set(_active(env, team.id)) == {"U0OWNER", "U0LEAD", "U0CEO", "U0DAN"}
    _confirmed(slack, 1)
