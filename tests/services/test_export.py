"""The CSV export: aggregates per closed round, blank below the floor, never a user id."""

from __future__ import annotations

import csv
import io

import pytest

from bot.sandbox import FakeSlack
from bot.sandbox.running import RunningApp
from bot.sandbox.web_api import Call
from bot.services import export
from tests.home_tab import find_button, open_home
from tests.rounds import PEOPLE, small_team, two_weeks
from tests.services.conftest import Env
from tests.waiting import eventually

HEADER = [
    "week",
    "invited",
    "responded",
    "response_rate",
    "ai_frequency:none",
    "ai_frequency:few",
    "ai_frequency:several",
    "ai_frequency:daily",
    "ai_tools:chatgpt",
    "ai_tools:claude",
    "ai_tools:copilot",
    "ai_tools:gemini",
    "ai_tools:other",
    "time_saved:no",
    "time_saved:under_30m",
    "time_saved:30m_2h",
    "time_saved:over_2h",
    "training_fit:yes",
    "training_fit:partly",
    "training_fit:generic",
    "training_fit:none",
    "prompt_source:own",
    "prompt_source:mixed",
    "prompt_source:generic",
    "prompt_source:none",
    "first_heard:kickoff",
    "first_heard:manager",
    "first_heard:slack",
    "first_heard:colleague",
    "first_heard:not_heard",
    "output_problems:no",
    "output_problems:once",
    "output_problems:repeatedly",
    "output_problems:unsure",
    "confidential_paste:no",
    "confidential_paste:unsure",
    "confidential_paste:yes",
    "whats_in_it:helps",
    "whats_in_it:unsure",
    "whats_in_it:worried",
    "whats_in_it:burden",
    "suppressed",
]


@pytest.fixture
def env(running: RunningApp, slack: FakeSlack) -> Env:
    return Env(db=running.db, slack=slack, app=running.ctx)


def rows(text: str) -> list[dict[str, str]]:
    """The CSV's rows as dicts by column name."""
    return list(csv.DictReader(io.StringIO(text)))


def test_a_round_above_the_floor_has_its_counts_and_one_below_has_only_its_date(
    running: RunningApp, env: Env
) -> None:
    team_id = two_weeks(env, running)
    text = export.team_csv(env.db, team_id, running.ctx.clock())
    assert text.splitlines()[0].split(",") == HEADER

    first, second = rows(text)
    assert (first["week"], first["invited"], first["responded"]) == ("2026-11-16", "7", "6")
    assert first["response_rate"] == "0.857"
    usage = [first[f"ai_frequency:{k}"] for k in ("none", "few", "several", "daily")]
    assert usage == ["1", "0", "2", "3"]
    tools = [first[f"ai_tools:{k}"] for k in ("chatgpt", "claude", "copilot", "gemini", "other")]
    assert tools == ["4", "2", "1", "0", "0"]
    assert first["training_fit:yes"] == ""  # switched off: not asked, so blank rather than 0
    assert first["whats_in_it:helps"] == ""  # another week's rotating question
    # Asked, but answered by fewer than 5 (nobody for time saved, 3 for the confidential one):
    # the floor holds per question, so those cells are blank and the reason says which.
    assert first["time_saved:no"] == ""
    confidential = [first[f"confidential_paste:{k}"] for k in ("no", "unsure", "yes")]
    assert confidential == ["", "", ""]
    assert first["suppressed"] == ("time_saved confidential_paste below minimum group size (5)")

    # Two respondents: below the minimum group size of 5, every aggregate cell is blank.
    assert second["week"] == "2026-11-23"
    assert second["suppressed"] == "below minimum group size (5)"
    assert all(value == "" for key, value in second.items() if key not in ("week", "suppressed"))

    for user_id, _, _ in PEOPLE:
        assert user_id not in text


def test_the_header_does_not_depend_on_the_answers(running: RunningApp, env: Env) -> None:
    team_id = small_team(env)
    empty = export.team_csv(env.db, team_id, running.ctx.clock())
    assert empty == ",".join(HEADER) + "\n"


def test_the_export_button_uploads_the_csv_into_the_owners_dm(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    team_id = two_weeks(env, running)
    view = open_home(running, slack, "U0OWNER")
    click_export(running, slack, view, "U0OWNER")
    eventually(lambda: bool(csv_uploads(slack)))

    opened = slack.calls_to("conversations.open")
    assert opened and opened[-1].params["users"] == "U0OWNER"
    (complete,) = csv_uploads(slack)
    assert complete.params["channel_id"] == slack.dm_channel("U0OWNER")
    (uploaded,) = complete.json("files")
    content = slack.uploaded(uploaded["id"]).decode()
    assert content == export.team_csv(env.db, team_id, running.ctx.clock())
    assert rows(content)[0]["ai_frequency:daily"] == "3"
    (name,) = csv_names(slack)
    assert name.startswith("adoption-atlas-team-") and name.endswith("-2026-11-27.csv")


def test_someone_who_does_not_own_the_team_is_refused(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    team_id = two_weeks(env, running)
    owner_view = open_home(running, slack, "U0OWNER")
    # The owner's button, clicked by a member of the team (as a forged or stale click would be).
    block, button = find_button(owner_view, "home.export")
    assert button["value"] == str(team_id)
    reply = running.sender().block_action(
        {**button, "type": "button", "block_id": block.get("block_id", "home")},
        user_id="UM02",
        view=owner_view,
    )
    assert reply.status == 200

    def refusals() -> list[str]:
        dm = slack.messages_in(slack.dm_channel("UM02"))
        return [m["text"] for m in dm if "Only the team's rollout owner" in m["text"]]

    eventually(lambda: bool(refusals()))
    assert len(refusals()) == 1
    assert csv_names(slack) == [] and csv_uploads(slack) == []


def csv_names(slack: FakeSlack) -> list[str]:
    """File names of CSVs the app asked to upload (the digest's chart is a PNG)."""
    return [
        c.params["filename"]
        for c in slack.calls_to("files.getUploadURLExternal")
        if c.params["filename"].endswith(".csv")
    ]


def csv_uploads(slack: FakeSlack) -> list[Call]:
    """Completed uploads of the export (titled "…: weekly pulse figures")."""
    return [
        c
        for c in slack.calls_to("files.completeUploadExternal")
        if any(f.get("title", "").endswith("weekly pulse figures") for f in c.json("files"))
    ]


def click_export(running: RunningApp, slack: FakeSlack, view: dict, user_id: str) -> None:
    """Click "Export CSV" on the Home tab (it changes nothing on the tab itself)."""
    block, button = find_button(view, "home.export")
    reply = running.sender().block_action(
        {
            "type": "button",
            "action_id": button["action_id"],
            "value": button["value"],
            "block_id": block.get("block_id", "home"),
        },
        user_id=user_id,
        view=view,
    )
    assert reply.status == 200
