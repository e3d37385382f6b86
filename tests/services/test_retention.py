"""The nightly purge, with a frozen clock: per-person rows older than the retention setting are
unlinked or deleted, newer ones stay, and the figures of the old rounds are unchanged."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from bot import cli
from bot.context import AppContext
from bot.sandbox import FakeSlack
from bot.scheduling.runner import Purger
from bot.services import teams
from bot.storage import reports
from bot.storage.models import (
    Answer,
    CheckInRecord,
    Delivery,
    DeliveryStatus,
    Member,
    OfficeHoursRsvp,
    OfficeHoursSession,
    PulseRound,
    Role,
    RoundStatus,
    SessionStatus,
)
from tests.services.conftest import utc

NOW = utc(2027, 6, 1, 3, 17)  # the job's time of night
OLD = (NOW - timedelta(days=500)).date()  # beyond the default 400 days
RECENT = (NOW - timedelta(days=100)).date()


def _seed(ctx: AppContext, team_id: str) -> dict[str, int]:
    """Ana in a team, answering an old and a recent round; Zed, who left long ago."""
    with freeze_time("2025-06-01"):  # the team predates every round
        ref = teams.create_team(db=ctx.db, slack_team_id=team_id, name="Retained")
    for user in ("UANA", "UZED"):
        teams.add_member(db=ctx.db, team_id=ref.id, slack_user_id=user, role=Role.MEMBER)
    ids: dict[str, int] = {}
    with ctx.db.unit_of_work() as session:
        members = {m.slack_user_id: m for m in session.scalars(select(Member))}
        ws = members["UANA"].workspace_id
        zed = members["UZED"]
        zed.active, zed.left_at = False, utc(2025, 12, 1)
        for label, day in (("old", OLD), ("recent", RECENT)):
            when = utc(day.year, day.month, day.day, 15)
            rnd = PulseRound(
                workspace_id=ws,
                team_id=ref.id,
                local_date=day,
                number=0 if label == "old" else 1,
                status=RoundStatus.CLOSED,
                due_at=when,
                closes_at=when + timedelta(days=4),
            )
            session.add(rnd)
            session.flush()
            ids[f"{label}_round"] = rnd.id
            people = ("UANA", "UZED") if label == "old" else ("UANA",)
            for user in people:
                delivery = Delivery(
                    workspace_id=ws,
                    round_id=rnd.id,
                    member_id=members[user].id,
                    status=DeliveryStatus.SENT,
                    question_ids=["ai_frequency"],
                    due_at=when,
                    channel_id=f"D{user}",
                    message_ts="1.0",
                    sent_at=when,
                    responded_at=when,
                )
                session.add(delivery)
                session.flush()
                ids[f"{label}_{user}"] = delivery.id
                session.add(
                    Answer(
                        delivery_id=delivery.id,
                        question_id="ai_frequency",
                        question_version=1,
                        value=["daily"],
                        answered_at=when,
                    )
                )
            meeting = OfficeHoursSession(
                workspace_id=ws,
                team_id=ref.id,
                local_date=day,
                starts_at=when,
                announce_at=when,
                remind_at=when,
                status=SessionStatus.ANNOUNCED,
            )
            session.add(meeting)
            session.flush()
            session.add(OfficeHoursRsvp(session_id=meeting.id, slack_user_id="UANA", rsvp_at=when))
            session.add(
                CheckInRecord(
                    workspace_id=ws,
                    team_id=ref.id,
                    week_of=day,
                    due_at=when,
                    sent_to=["UANA"],
                    on_track="yes",
                    answered_by="UANA",
                    answered_at=when,
                )
            )
        ids["ana"], ids["zed"] = members["UANA"].id, zed.id
    return ids


def test_the_nightly_purge_unlinks_old_rows_keeps_new_ones_and_the_old_figures(
    app_context: AppContext, slack: FakeSlack
) -> None:
    ids = _seed(app_context, slack.team_id)
    with app_context.db.unit_of_work() as session:
        old_counts = reports.round_counts(session=session, round_ids=[ids["old_round"]])
    report = Purger(app_context, clock=lambda: NOW)()
    assert report is not None and report.failed_teams == []
    assert (report.pulses_unlinked, report.rsvps, report.check_ins) == (2, 1, 1)
    assert report.memberships_removed == 1
    with app_context.db.unit_of_work() as session:
        old = session.get(Delivery, ids["old_UANA"])
        assert old.member_id != ids["ana"] and old.channel_id is None and old.sent_at is None
        stand_in = session.get(Member, old.member_id)
        assert stand_in.slack_user_id.startswith("erased-") and not stand_in.active
        assert session.get(Delivery, ids["recent_UANA"]).member_id == ids["ana"]
        assert session.get(Member, ids["zed"]) is None  # left before the cutoff
        assert session.get(Member, ids["ana"]) is not None
        # The old round's figures are what they were: its answers stay, naming nobody.
        assert reports.round_counts(session=session, round_ids=[ids["old_round"]]) == old_counts
        assert session.scalar(select(func.count()).select_from(Answer)) == 3
        rsvp_days = session.scalars(
            select(OfficeHoursSession.local_date).join(
                OfficeHoursRsvp, OfficeHoursRsvp.session_id == OfficeHoursSession.id
            )
        ).all()
        assert rsvp_days == [RECENT]
        check_ins = {c.week_of: c for c in session.scalars(select(CheckInRecord))}
        assert check_ins[OLD].answered_by is None and check_ins[OLD].sent_to == []
        assert check_ins[OLD].on_track == "yes"  # the team's answer stays; the name does not
        assert check_ins[RECENT].answered_by == "UANA"
    again = Purger(app_context, clock=lambda: NOW)()
    assert again is not None and (again.pulses_unlinked, again.rsvps, again.check_ins) == (0, 0, 0)


def test_a_shorter_setting_reaches_further_and_the_cli_runs_it_by_hand(
    app_context: AppContext,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ids = _seed(app_context, slack.team_id)
    monkeypatch.chdir(tmp_path)  # no .env from the working directory
    monkeypatch.setenv("DATABASE_URL", app_context.settings.database_url)
    monkeypatch.setenv("ATLAS_RETENTION_DAYS", "30")
    with freeze_time(NOW):
        assert cli.main(["purge"]) == 0
    out = capsys.readouterr().out
    assert "kept 30 days" in out and "2 pulse deliveries unlinked" not in out
    with app_context.db.unit_of_work() as session:
        assert session.get(Delivery, ids["recent_UANA"]).member_id != ids["ana"]
        assert session.scalar(select(func.count()).select_from(OfficeHoursRsvp)) == 0


def test_the_retention_setting_defaults_to_400_days(app_context: AppContext) -> None:
    assert app_context.settings.atlas_retention_days == 400
    assert date(2027, 6, 1) - OLD > timedelta(days=400) > date(2027, 6, 1) - RECENT
