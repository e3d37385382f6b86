"""A person takes their data with them (`/atlas me export`, a JSON file in their DM) or erases
it ("Delete my data"), through the signed app; what stays afterwards is only what
docs/security.md ("Your data") says stays."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from bot.sandbox import FakeSlack
from bot.sandbox.people import Person
from bot.sandbox.running import RunningApp
from bot.services.members import CONFIDENTIAL_NOTE
from bot.storage import pulse as pulse_repo
from bot.storage import reports
from bot.storage.db import make_engine
from bot.storage.models import (
    Answer,
    Base,
    CheckInRecord,
    Delivery,
    DeliveryStatus,
    FindingRecord,
    Member,
    OfficeHoursRsvp,
    OfficeHoursSession,
    PulseRound,
    Role,
    RoundStatus,
    SelfAssessment,
    SessionStatus,
    Team,
    WorkflowRecord,
)
from tests.services.conftest import Env, utc
from tests.waiting import eventually

NY = "America/New_York"
MONDAY = utc(2026, 11, 30, 15, 0)  # 10:00 in New York: the team's round goes out
CLOSED_DAY = date(2026, 11, 16)


@pytest.fixture
def env(running: RunningApp, slack: FakeSlack) -> Env:
    return Env(db=running.db, slack=slack, app=running.ctx)


def _seed(env: Env, running: RunningApp, slack: FakeSlack) -> int:
    """Ana (a co-owner) and Ben, with a closed round, an open one, and a trace in every table
    that can name a person; returns the closed round's id."""
    team_id = env.team(
        [("UOWNER", NY, Role.OWNER), ("UANA", NY, Role.OWNER), ("UBEN", NY, Role.MEMBER)],
        created="2026-11-10",
    )
    with env.db.unit_of_work() as session:
        team = session.get(Team, team_id)
        ws = team.workspace_id
        members = {m.slack_user_id: m for m in session.scalars(select(Member))}
        closed = PulseRound(
            workspace_id=ws,
            team_id=team_id,
            local_date=CLOSED_DAY,
            number=0,
            status=RoundStatus.CLOSED,
            due_at=utc(2026, 11, 16, 15),
            closes_at=utc(2026, 11, 20, 23),
            closed_at=utc(2026, 11, 20, 23),
        )
        session.add(closed)
        session.flush()
        for user, choice in (("UANA", "daily"), ("UBEN", "several")):
            delivery = Delivery(
                workspace_id=ws,
                round_id=closed.id,
                member_id=members[user].id,
                status=DeliveryStatus.SENT,
                question_ids=["ai_frequency", "confidential_paste"],
                due_at=utc(2026, 11, 16, 15),
                channel_id=f"D{user}",
                message_ts="1.000",
                sent_at=utc(2026, 11, 16, 15, 1),
                responded_at=utc(2026, 11, 16, 16),
            )
            session.add(delivery)
            session.flush()
            session.add(
                Answer(
                    delivery_id=delivery.id,
                    question_id="ai_frequency",
                    question_version=1,
                    value=[choice],
                    answered_at=utc(2026, 11, 16, 16),
                )
            )
            if user == "UANA":
                pulse_repo.mark_confidential(
                    session=session, delivery_id=delivery.id, question_id="confidential_paste"
                )
        meeting = OfficeHoursSession(
            workspace_id=ws,
            team_id=team_id,
            local_date=date(2026, 11, 19),
            starts_at=utc(2026, 11, 19, 20),
            announce_at=utc(2026, 11, 19, 14),
            remind_at=utc(2026, 11, 19, 19),
            status=SessionStatus.ANNOUNCED,
        )
        session.add(meeting)
        session.flush()
        for user in ("UANA", "UBEN"):
            session.add(
                OfficeHoursRsvp(
                    session_id=meeting.id,
                    slack_user_id=user,
                    going=True,
                    rsvp_at=utc(2026, 11, 19, 15),
                    attended_at=utc(2026, 11, 19, 20, 5),
                )
            )
        session.add(
            CheckInRecord(
                workspace_id=ws,
                team_id=team_id,
                week_of=date(2026, 11, 16),
                due_at=utc(2026, 11, 20, 19),
                sent_at=utc(2026, 11, 20, 19),
                sent_to=["UOWNER", "UANA"],
                on_track="partly",
                shipped=True,
                answered_at=utc(2026, 11, 20, 20),
                answered_by="UANA",
            )
        )
        session.add_all(
            [
                WorkflowRecord(
                    workspace_id=ws,
                    team_id=team_id,
                    name="Ana drafts release notes",
                    owner_user_id="UANA",
                    created_by="UANA",
                ),
                WorkflowRecord(
                    workspace_id=ws,
                    team_id=team_id,
                    name="Ben triages tickets",
                    owner_user_id="UBEN",
                    created_by="UBEN",
                ),
                SelfAssessment(team_id=team_id, mode_id="2.2", applies=True, marked_by="UANA"),
                FindingRecord(
                    workspace_id=ws,
                    team_id=team_id,
                    mode_id="3.5",
                    status="detected",
                    evidence="",
                    source="pulse",
                    acknowledged_by="UANA",
                    acknowledged_at=utc(2026, 11, 21),
                ),
            ]
        )
        closed_id = closed.id
    env.tick(MONDAY)  # the open round reaches everyone
    for user, choice in (("UANA", "few"), ("UBEN", "none")):
        assert Person(user, slack, running.sender()).answer("ai_frequency", choice).status == 200
    running.settle()
    return closed_id


def _my_file(slack: FakeSlack) -> dict | None:
    for call in slack.calls_to("files.completeUploadExternal"):
        for file in call.json("files"):
            if file.get("title") == "Everything Adoption Atlas stores about you":
                return json.loads(slack.uploaded(file["id"]))
    return None


def test_me_export_uploads_everything_that_names_me_and_nothing_of_anyone_else(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _seed(env, running, slack)
    reply = running.sender().command("me export", user_id="UANA").json
    assert "Preparing your file" in reply["text"]
    eventually(lambda: _my_file(slack) is not None)
    data = _my_file(slack)
    assert slack.calls_to("conversations.open")[-1].params["users"] == "UANA"
    names = [c.params["filename"] for c in slack.calls_to("files.getUploadURLExternal")]
    assert [n for n in names if n.endswith(".json")] == ["adoption-atlas-my-data-2026-11-30.json"]

    assert data["slack_user_id"] == "UANA"
    (membership,) = data["memberships"]
    assert membership["role"] == "owner" and membership["time_zone"] == NY
    by_date = {p["round_date"]: p for p in data["pulses"]}
    assert set(by_date) == {"2026-11-16", "2026-11-30"}
    old = by_date["2026-11-16"]
    assert old["round_status"] == "closed" and old["sent_at"].startswith("2026-11-16T15:01")
    assert [(a["question"], a["answer"]) for a in old["answers"]] == [
        ("How often did you use AI tools for your work this week?", "Daily")
    ]
    assert old["confidential_questions_answered"] == 1
    assert data["confidential_answers"] == CONFIDENTIAL_NOTE
    assert [a["values"] for a in by_date["2026-11-30"]["answers"]] == [["few"]]
    assert by_date["2026-11-30"]["round_status"] == "open"
    assert [(o["date"], o["going"]) for o in data["office_hours"]] == [("2026-11-19", True)]
    check_in = next(c for c in data["check_ins"] if c["week_of"] == "2026-11-16")
    assert check_in["answered_by_you"] and check_in["on_track"] == "partly"
    assert [w["name"] for w in data["workflows"]] == ["Ana drafts release notes"]
    assert [m["mode"] for m in data["self_assessment_marks"]] == ["2.2"]
    assert [f["mode"] for f in data["findings"]] == ["3.5"]

    text = json.dumps(data)
    for other in ("UBEN", "UOWNER", "Ben triages", "several", "none"):
        assert other not in text


def test_delete_leaves_nothing_that_names_me_except_what_is_documented(
    running: RunningApp, slack: FakeSlack, env: Env, database_url: str
) -> None:
    closed_id = _seed(env, running, slack)
    with env.db.unit_of_work() as session:
        counts_before = reports.round_counts(session=session, round_ids=[closed_id])
        ana_ids = {
            m.id for m in session.scalars(select(Member).where(Member.slack_user_id == "UANA"))
        }
    me = running.sender().command("me", user_id="UANA").json
    buttons = [e for b in me["blocks"] if b["type"] == "actions" for e in b["elements"]]
    delete = next(b for b in buttons if b["action_id"] == "me.delete_answers")
    assert delete["confirm"]["confirm"]["text"] == "Delete"  # still behind the dialog
    running.sender().block_action(  # on the ephemeral `/atlas me` reply, as Slack sends it
        {"type": "button", "action_id": delete["action_id"], "value": "all", "block_id": "x"},
        user_id="UANA",
        message={"ts": "1.000001", **me},
        channel_id="C0GENERAL",
    )
    eventually(lambda: any("Deleted" in r.get("text", "") for r in slack.responses))
    said = next(r["text"] for r in slack.responses if "Deleted" in r.get("text", ""))
    assert "Deleted 2 answers, 1 office-hours reply and 1 check-in answer." in said
    assert "1 past pulse is no longer linked to you" in said

    # A second connection: what was committed, nothing cached in the app's session.
    engine = make_engine(database_url)
    left: list[tuple[str, dict]] = []
    try:
        with engine.connect() as connection:
            for table in Base.metadata.sorted_tables:
                member_columns = [
                    c.name
                    for c in table.columns
                    if any(fk.column.table.name == "members" for fk in c.foreign_keys)
                    or (table.name == "members" and c.name == "id")
                ]
                for row in connection.execute(table.select()).mappings():
                    names_ana = "UANA" in json.dumps(dict(row), default=str) or any(
                        row[c] in ana_ids for c in member_columns
                    )
                    if names_ana:
                        left.append((table.name, dict(row)))
    finally:
        engine.dispose()
    # Documented: the current membership, and the delivery of the round still open (no answers).
    assert sorted(name for name, _ in left) == ["members", "pulse_deliveries"]
    ((_, delivery),) = [(n, r) for n, r in left if n == "pulse_deliveries"]
    with env.db.unit_of_work() as session:
        assert session.get(PulseRound, delivery["round_id"]).status is RoundStatus.OPEN
        assert pulse_repo.answers(session=session, delivery_id=delivery["id"]) == {}
        # The closed round's published figures are what they were.
        assert reports.round_counts(session=session, round_ids=[closed_id]) == counts_before
        assert session.scalar(select(OfficeHoursRsvp.slack_user_id)) == "UBEN"
        workflow = session.scalar(
            select(WorkflowRecord).where(WorkflowRecord.name == "Ana drafts release notes")
        )
        assert workflow is not None and workflow.owner_user_id is None

    ben = running.sender().command("me", user_id="UBEN").json
    assert "Several times" in str(ben["blocks"]) or "several" in str(ben["blocks"]).casefold()
