"""The App Home tab through the real app: a person's own pulse and answers, and the owner's view.

Every view is published by the app in answer to a signed `app_home_opened` event or a click on
the tab, and read back from the Slack stand-in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert

from atlas.lookup import all_modes
from atlas.questions import ROTATING_IDS, question
from bot.sandbox import FakeSlack
from bot.sandbox.running import RunningApp
from bot.services import members, teams
from bot.storage.db import Database
from bot.storage.models import (
    Answer,
    ConfidentialTally,
    Delivery,
    DeliveryStatus,
    FindingRecord,
    Member,
    PulseRound,
    RecoveryWindowRecord,
    Role,
    RoundStatus,
)
from tests.home_tab import (
    assert_within_slack_limits,
    buttons,
    click,
    find_button,
    open_home,
    text_of,
)
from tests.rounds import MONDAYS, NY, PEOPLE, WEEK_1, run_week, small_team, two_weeks
from tests.services.conftest import Env, utc


@pytest.fixture
def env(running: RunningApp, slack: FakeSlack) -> Env:
    return Env(db=running.db, slack=slack, app=running.ctx)


# --- a person's own side -----------------------------------------------------------------------
def test_a_member_sees_their_next_pulse_in_their_own_zone_and_who_sees_what(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    team_id = env.team(
        [
            ("U0OWNER", NY, Role.OWNER),
            ("U0MEMBER1", "Europe/Berlin", Role.MEMBER),
            ("U0TOKYO", "Asia/Tokyo", Role.AI_LEAD),
        ],
        created="2026-11-10",
    )
    now = utc(2026, 11, 23, 2, 0)  # Monday: 11:00 in Tokyo, 03:00 in Berlin, Sunday in New York
    members.sync_profiles(db=env.db, team_id=team_id, caller=env.caller(), now=now)
    running.ctx.clock = lambda: now

    berlin = text_of(open_home(running, slack, "U0MEMBER1"))
    assert "next pulse Mon 23 Nov at 10:00 (your time, Europe/Berlin)" in berlin
    # Tokyo's Monday 10:00 has already passed: its next pulse is a week later.
    tokyo = text_of(open_home(running, slack, "U0TOKYO"))
    assert "next pulse Mon 30 Nov at 10:00 (your time, Asia/Tokyo)" in tokyo

    assert "What the rollout owner can and cannot see" in berlin
    assert "at least 5 people" in berlin
    assert "who answered what" in berlin and "confidential, not anonymous" in berlin
    assert "no link to you" in berlin
    assert "AI lead's and the executive sponsor's own answer" in berlin
    assert "workflow registry" in berlin
    assert "You are the AI lead of" in tokyo and "You are the AI lead of" not in berlin
    assert "owner view" not in berlin


def test_pausing_and_resuming_from_the_home_tab_republishes_it(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    env.team(
        [("U0OWNER", NY, Role.OWNER), ("U0MEMBER1", "Europe/Berlin", Role.MEMBER)],
        created="2026-11-10",
    )
    running.ctx.clock = lambda: utc(2026, 11, 18, 17, 0)
    view = open_home(running, slack, "U0MEMBER1")
    assert ("home.pause", "pause") in buttons(view)

    paused = click(running, slack, view, "home.pause", "U0MEMBER1")
    assert "paused until you resume it" in text_of(paused)
    assert ("home.resume", "resume") in buttons(paused)
    stored = members.my_data(db=env.db, slack_team_id=slack.team_id, user_id="U0MEMBER1")
    ((_, _, is_paused, until),) = stored.teams
    assert is_paused and until is None

    resumed = click(running, slack, paused, "home.resume", "U0MEMBER1")
    assert "paused" not in text_of(resumed).split("Going away?")[0]
    assert "next pulse Mon 23 Nov at 10:00" in text_of(resumed)

    # A pause with an end date, from the command, shows on the tab with the pulse after it.
    reply = running.sender().command("pause until 2026-12-04", user_id="U0MEMBER1")
    assert reply.status == 200
    later = text_of(open_home(running, slack, "U0MEMBER1"))
    assert "paused until Fri 4 Dec; next pulse Mon 7 Dec at 10:00" in later


def test_own_answers_show_and_deleting_them_from_the_tab_removes_them(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    small_team(env)
    run_week(env, running, MONDAYS[0], WEEK_1)
    view = open_home(running, slack, "UM01")
    text = text_of(view)
    assert "*Your recent answers*" in text
    assert "AI use: Daily · tools: ChatGPT, Claude · go-to person: <@ULEAD>" in text
    assert "a confidential answer, counted without your name" in text
    _, delete = find_button(view, "me.delete_answers")
    assert delete["confirm"]["confirm"]["text"] == "Delete"
    assert "all 3 of your stored pulse answers" in delete["confirm"]["text"]["text"]

    after = click(running, slack, view, "me.delete_answers", "UM01")
    # The closed round's delivery is unlinked from them too: nothing of theirs is listed.
    assert "No answers are stored about you" in text_of(after)
    assert "AI use: Daily" not in text_of(after)
    assert "me.delete_answers" not in [a for a, _ in buttons(after)]
    stored = members.my_data(db=env.db, slack_team_id=slack.team_id, user_id="UM01")
    assert stored.answer_count == 0
    # Someone else's answers are untouched.
    assert "AI use: Daily" in text_of(open_home(running, slack, "UM00"))


def test_own_answers_are_listed_in_the_order_the_pulse_asked_not_the_order_clicked(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    small_team(env)
    # The last question first: the clicks are saved in the opposite order to the pulse's.
    clicked = {"go_to_person": "ULEAD", "ai_tools": ["claude"], "ai_frequency": "several"}
    run_week(env, running, MONDAYS[0], {"UM03": clicked})
    stored = members.my_data(db=env.db, slack_team_id=slack.team_id, user_id="UM03")
    (week,) = stored.rounds
    assert [a.question_id for a in week.answers] == ["ai_frequency", "ai_tools", "go_to_person"]


def test_someone_in_no_team_is_offered_to_set_one_up(running: RunningApp, slack: FakeSlack) -> None:
    view = open_home(running, slack, "U0MEMBER1")
    assert ("setup.open", "") in buttons(view)
    text = text_of(view)
    assert "not in a team" in text and "/atlas 2.2" in text
    assert "home.export" not in [a for a, _ in buttons(view)]
    assert_within_slack_limits(view)


# --- the owner's side --------------------------------------------------------------------------
def test_the_owner_sees_the_numbers_people_clicked_and_no_number_for_a_small_week(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    team_id = two_weeks(env, running)
    view = open_home(running, slack, "U0OWNER")
    text = text_of(view)

    # The latest round had 2 respondents: below the floor of 5, so no number is shown for it.
    assert "*Latest round* (Mon 23 Nov): below minimum group size (5)" in text
    assert "2 of 7" not in text
    # The usage breakdown comes from the first round: 6 answers, as clicked.
    assert (
        "*Weekly AI use* (round of Mon 16 Nov, 6 answers): Not at all 1 (17%) · "
        "Once or twice 0 (0%) · Several times 2 (33%) · Daily 3 (50%)"
    ) in text
    assert "the most-named person gets 5 of 5 go-to mentions (100%)" in text
    assert "ULEAD" not in text.split("*How concentrated use is*")[1].split("*The last")[0]
    assert "ChatGPT is used by 4 of 6 people who named a tool (67%)" in text
    # The trend: 6 of 7 answered (86%), 5 of 6 used AI (83%); the small week has no number.
    assert "16 Nov         86%       83%" in text
    assert "23 Nov   below minimum group size" in text
    assert ("setup.open", str(team_id)) in buttons(view)
    assert ("workflow.add", str(team_id)) in buttons(view)
    assert ("home.export", str(team_id)) in buttons(view)
    assert_within_slack_limits(view)

    # A member of the same team sees none of it.
    member_view = open_home(running, slack, "UM02")
    assert "owner view" not in text_of(member_view)
    assert "home.export" not in [a for a, _ in buttons(member_view)]


# --- scale: a 1,000-member team, 12 weeks, every mode detected ---------------------------------
NOW = utc(2026, 11, 25, 17, 0)
TOOLS = tuple(
    (f"tool{i:02d}", f"An AI tool with a long name number {i:02d} " + "x" * 34) for i in range(20)
)
LONG_EVIDENCE = ("In 12 of 12 rounds & more: <the numbers> say so. " * 30)[:1000]
SMALL_WEEKS = (3, 8)  # rounds with only two respondents: below the floor


def seed_team(
    db: Database,
    *,
    name: str,
    owners: list[str],
    size: int,
    now: datetime,
    evidence: str = LONG_EVIDENCE,
) -> int:
    """A team with `size` members and 12 closed weekly rounds of answers, every mode detected,
    and an open recovery window: the most the owner's view can have to show."""
    ref = teams.create_team(
        db=db,
        slack_team_id="T0SANDBOX",
        name=name,
        timezone=NY,
        rollout_start=date(2026, 3, 1),
        tools=TOOLS,
    )
    people = [*owners, f"UL{ref.id}"] + [
        f"UB{ref.id}X{i:04d}" for i in range(size - 1 - len(owners))
    ]
    mondays = [date(2026, 11, 23) - timedelta(weeks=w) for w in range(11, -1, -1)]
    with db.unit_of_work() as session:
        member_ids = session.scalars(
            insert(Member).returning(Member.id, sort_by_parameter_order=True),
            [
                {
                    "workspace_id": ref.workspace_id,
                    "team_id": ref.id,
                    "slack_user_id": user,
                    "role": Role.OWNER
                    if user in owners
                    else Role.AI_LEAD
                    if user.startswith("UL")
                    else Role.MEMBER,
                    "timezone": NY,
                }
                for user in people
            ],
        ).all()
        for week, monday in enumerate(mondays):
            due = datetime(monday.year, monday.month, monday.day, 15, tzinfo=UTC)
            rotating = ROTATING_IDS[week % len(ROTATING_IDS)]
            rnd = PulseRound(
                workspace_id=ref.workspace_id,
                team_id=ref.id,
                local_date=monday,
                number=week,
                status=RoundStatus.CLOSED,
                rotating_question_id=rotating,
                disabled_questions=[],
                due_at=due,
                closes_at=due + timedelta(days=4),
                closed_at=due + timedelta(days=4),
            )
            session.add(rnd)
            session.flush()
            answering = 2 if week in SMALL_WEEKS else (size * 7) // 10
            delivery_ids = session.scalars(
                insert(Delivery).returning(Delivery.id, sort_by_parameter_order=True),
                [
                    {
                        "workspace_id": ref.workspace_id,
                        "round_id": rnd.id,
                        "member_id": member_id,
                        "status": DeliveryStatus.SENT,
                        "question_ids": [],
                        "due_at": due,
                        "sent_at": due,
                        "responded_at": due + timedelta(hours=1) if i < answering else None,
                    }
                    for i, member_id in enumerate(member_ids)
                ],
            ).all()
            rows = []
            for i, delivery_id in enumerate(delivery_ids[:answering]):
                chosen = {
                    "ai_frequency": [("none", "few", "several", "daily")[i % 4]],
                    "ai_tools": [key for key, _ in TOOLS] if i == 0 else [TOOLS[i % 20][0]],
                    "time_saved": [("no", "under_30m", "30m_2h", "over_2h")[i % 4]],
                    "go_to_person": [people[1] if i % 3 else people[2 + i % 40]],
                }
                asked = question(rotating)
                if not asked.confidential:
                    chosen[rotating] = [asked.options[i % len(asked.options)].key]
                rows += [
                    {
                        "delivery_id": delivery_id,
                        "question_id": q,
                        "question_version": 1,
                        "value": value,
                        "answered_at": due,
                        "updated_at": due,
                    }
                    for q, value in chosen.items()
                ]
            session.execute(insert(Answer), rows)
            if question(rotating).confidential:
                session.execute(
                    insert(ConfidentialTally),
                    [
                        {
                            "round_id": rnd.id,
                            "question_id": rotating,
                            "question_version": 1,
                            "option_key": key,
                            "count": answering // 3,
                        }
                        for key in ("no", "unsure", "yes")
                    ],
                )
        session.add_all(
            FindingRecord(
                workspace_id=ref.workspace_id,
                team_id=ref.id,
                mode_id=mode.id,
                status="detected",
                evidence=evidence,
                sample=700,
                confidence=0.9,
                severity=1.0,
                source="signal",
                since=date(2026, 10, 5),
                updated_at=now,
            )
            for mode in all_modes()
        )
        session.add(
            RecoveryWindowRecord(
                team_id=ref.id,
                opened_on=now.date() - timedelta(days=20),
                stages=[1, 2, 3, 4],
                baseline_detected=25,
            )
        )
    return ref.id


@pytest.mark.heavy
def test_a_1000_member_team_and_an_owner_of_three_stay_within_slack_limits(
    running: RunningApp, slack: FakeSlack
) -> None:
    long_name = "Operations & <Finance> " + "very long team name " * 3
    big = seed_team(running.db, name=long_name[:80], owners=["UONE", "UBOSS"], size=1000, now=NOW)
    for n, evidence in ((2, LONG_EVIDENCE), (3, "&" * 1000)):  # each "&" is 5 characters escaped
        seed_team(
            running.db,
            name=f"Region {n} " + "z" * 60,
            owners=["UBOSS"],
            size=1000,
            now=NOW,
            evidence=evidence,
        )
    running.ctx.clock = lambda: NOW

    one = open_home(running, slack, "UONE")
    assert_within_slack_limits(one)
    text = text_of(one)
    headers = [b["text"]["text"] for b in one["blocks"] if b["type"] == "header"]
    assert any("owner view" in h for h in headers)
    assert "Recovery window:* day 20 of 60" in text
    assert all(f"`{mode.id}`" in text for mode in all_modes())
    assert text.count("below minimum group size") >= len(SMALL_WEEKS)
    assert ("home.export", str(big)) in buttons(one)
    print(f"\nowner of the 1,000-member team: {len(one['blocks'])} blocks")

    boss = open_home(running, slack, "UBOSS")
    assert_within_slack_limits(boss)
    headers = [b["text"]["text"] for b in boss["blocks"] if b["type"] == "header"]
    assert sum("owner view" in h for h in headers) == 3
    assert len([a for a, _ in buttons(boss) if a == "home.export"]) == 3
    assert "…and 4 more: `/atlas status` shows them all." in text_of(boss)  # capped, not cut
    print(f"owner of three 1,000-member teams: {len(boss['blocks'])} blocks")


def test_an_owner_of_many_teams_gets_the_rest_summarized(
    running: RunningApp, slack: FakeSlack
) -> None:
    for n in range(9):
        seed_team(running.db, name=f"Squad {n}", owners=["UMANY"], size=6, now=NOW)
    running.ctx.clock = lambda: NOW
    view = open_home(running, slack, "UMANY")
    assert_within_slack_limits(view)
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    shown = sum("owner view" in h for h in headers)
    assert 1 <= shown < 9
    assert f"…and {9 - shown} more teams you own" in text_of(view)
    print(f"\nowner of nine teams: {len(view['blocks'])} blocks, {shown} teams in full")


def test_the_owner_home_numbers_stay_hidden_for_a_team_below_the_floor(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    env.team(PEOPLE[:3], created="2026-11-10")  # 3 people, minimum group size 5
    run_week(env, running, MONDAYS[0], {"ULEAD": {"ai_frequency": "daily"}})
    text = text_of(open_home(running, slack, "U0OWNER"))
    assert "The team has 3 members, below its minimum group size of 5" in text
    assert "below minimum group size (5)" in text
    assert "Daily 1" not in text and "1 of 3" not in text
