"""Diagnosis runs: recorded, resilient, routed to the owner (or whoever set the team up)."""

from __future__ import annotations

import threading
from datetime import date

from bot.services import diagnosis, teams
from bot.storage import diagnosis as repo
from bot.storage.models import Role
from tests.services.conftest import Env, utc

NOW = utc(2026, 12, 1, 12, 0)


def test_a_team_without_an_owner_sends_the_1_1_alert_to_whoever_set_it_up(env: Env) -> None:
    ref = teams.create_team(
        db=env.db,
        slack_team_id=env.slack.team_id,
        name="Ops",
        configured_by="UCONF",
        rollout_start=date(2026, 11, 1),
    )
    teams.add_member(db=env.db, team_id=ref.id, slack_user_id="UM1")
    result = diagnosis.run_team(db=env.db, team_id=ref.id, caller=env.caller(), now=NOW)
    assert result.ok and "1.1" in result.detected
    sent = env.slack.messages_in(env.slack.dm_channel("UCONF"))
    assert len(sent) == 1 and "1.1" in sent[0]["text"] and "No named owner" in sent[0]["text"]


def test_an_alert_is_not_repeated_and_a_clear_gets_a_short_note(env: Env) -> None:
    ref = teams.create_team(
        db=env.db,
        slack_team_id=env.slack.team_id,
        name="Ops",
        configured_by="UCONF",
        rollout_start=date(2026, 11, 1),
    )
    diagnosis.run_team(db=env.db, team_id=ref.id, caller=env.caller(), now=NOW)
    diagnosis.run_team(db=env.db, team_id=ref.id, caller=env.caller(), now=NOW)
    assert len(env.slack.messages_in(env.slack.dm_channel("UCONF"))) == 1
    teams.add_member(db=env.db, team_id=ref.id, slack_user_id="UOWNER", role=Role.OWNER)
    diagnosis.run_team(db=env.db, team_id=ref.id, caller=env.caller(), now=NOW)
    notes = env.slack.messages_in(env.slack.dm_channel("UOWNER"))
    assert len(notes) == 1 and "has cleared" in notes[0]["text"]


def test_every_run_is_recorded_and_one_failing_team_does_not_stop_the_rest(env: Env) -> None:
    from bot.services import pulse
    from bot.storage.models import Answer, Delivery, Member

    good = teams.create_team(
        db=env.db, slack_team_id=env.slack.team_id, name="Good", configured_by="UCONF"
    )
    bad = teams.create_team(
        db=env.db, slack_team_id=env.slack.team_id, name="Bad", configured_by="UCONF"
    )
    member_id = teams.add_member(db=env.db, team_id=bad.id, slack_user_id="UM1")
    started = pulse.start_now(db=env.db, team_id=bad.id, now=NOW)
    with env.db.unit_of_work() as session:  # a corrupt stored answer breaks this team's run
        member = session.get(Member, member_id)
        delivery = Delivery(
            workspace_id=member.workspace_id,
            round_id=started.round_id,
            member_id=member.id,
            status="sent",
            question_ids=["ai_frequency"],
            due_at=NOW,
            responded_at=NOW,
        )
        session.add(delivery)
        session.flush()
        session.add(
            Answer(
                delivery_id=delivery.id,
                question_id="ai_frequency",
                question_version=1,
                value=[{"not": "an option key"}],
            )
        )
    results = {
        r.team_id: r
        for r in diagnosis.run_all(db=env.db, caller=env.caller(), now=NOW, trigger="nightly")
    }
    assert results[good.id].ok and not results[bad.id].ok
    with env.db.unit_of_work() as session:
        (good_run,) = repo.runs(session=session, team_id=good.id)
        (bad_run,) = repo.runs(session=session, team_id=bad.id)
        assert (good_run.trigger, good_run.ok) == ("nightly", True)
        assert bad_run.ok is False and bad_run.error.startswith("TypeError")
        assert good_run.finished_at is not None and bad_run.finished_at is not None


def test_recovery_opens_with_two_modes_in_a_stage_and_is_judged_on_day_60(env: Env) -> None:
    from datetime import timedelta

    from bot.services import owner

    ref = teams.create_team(
        db=env.db, slack_team_id=env.slack.team_id, name="Ops", rollout_start=date(2026, 10, 1)
    )
    teams.add_member(db=env.db, team_id=ref.id, slack_user_id="UOWNER", role=Role.OWNER)
    owner.save_marks(
        db=env.db,
        slack_team_id=env.slack.team_id,
        team_id=ref.id,
        user_id="UOWNER",
        ticked={"1.2", "1.7"},
        notes={},
        now=NOW,
    )
    diagnosis.run_team(db=env.db, team_id=ref.id, caller=env.caller(), now=NOW)
    texts = [m["text"] for m in env.slack.messages_in(env.slack.dm_channel("UOWNER"))]
    assert any("recovery needed" in t for t in texts)
    diagnosis.run_team(db=env.db, team_id=ref.id, caller=env.caller(), now=NOW + timedelta(days=30))
    assert not any(
        "day 30" in m["text"] for m in env.slack.messages_in(env.slack.dm_channel("UOWNER"))
    )
    diagnosis.run_team(db=env.db, team_id=ref.id, caller=env.caller(), now=NOW + timedelta(days=61))
    verdicts = [
        m
        for m in env.slack.messages_in(env.slack.dm_channel("UOWNER"))
        if "recovery window day" in m["text"]
    ]
    assert len(verdicts) == 1 and "Next step" in verdicts[0]["text"]
    with env.db.unit_of_work() as session:
        assert repo.open_recovery(session=session, team_id=ref.id) is None


def test_two_runs_of_a_new_team_at_once_both_succeed_and_alert_once(env: Env) -> None:
    # A workflow save, `/atlas check` and the tick can diagnose one team at the same moment.
    created = []
    for n in range(4):
        ref = teams.create_team(
            db=env.db,
            slack_team_id=env.slack.team_id,
            name=f"Ops {n}",
            configured_by=f"UCONF{n}",
            rollout_start=date(2026, 11, 1),
        )
        teams.add_member(db=env.db, team_id=ref.id, slack_user_id=f"UM{n}")
        created.append(ref.id)
    results: list[diagnosis.RunResult] = []
    for team_id in created:
        start = threading.Barrier(2)

        def run(team_id: int = team_id, start: threading.Barrier = start) -> None:
            caller = env.caller()
            start.wait()
            results.append(diagnosis.run_team(db=env.db, team_id=team_id, caller=caller, now=NOW))

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert [r.error for r in results] == [None] * 8
    assert all(r.ok and "1.1" in r.detected for r in results)
    with env.db.unit_of_work() as session:
        for n, team_id in enumerate(created):
            stored = repo.findings(session=session, team_id=team_id)
            assert len(stored) == 25 and stored["1.1"].alerted_at == NOW
            assert [run.ok for run in repo.runs(session=session, team_id=team_id)] == [True, True]
            # The second run read the first one's findings: one alert, not two.
            alerts = env.slack.messages_in(env.slack.dm_channel(f"UCONF{n}"))
            assert len(alerts) == 1 and "1.1" in alerts[0]["text"]
