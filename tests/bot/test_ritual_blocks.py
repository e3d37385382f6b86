"""The office hours and check-in builders, and the cadence line in the owner's status."""

from __future__ import annotations

from datetime import UTC, date, datetime

from atlas.diagnosis.model import Cadence, Diagnosis
from bot.blocks import check_ins, office_hours
from bot.blocks.diagnosis import status

TEAM = "R&D <!channel> *ops*"
START = datetime(2026, 3, 12, 19, 0, tzinfo=UTC)  # 15:00 EDT


def _session(**kw) -> office_hours.SessionView:
    fields = {
        "session_id": 7,
        "team": TEAM,
        "starts_at": START,
        "minutes": 90,
        "timezone": "America/New_York",
        **kw,
    }
    return office_hours.SessionView(**fields)


def test_the_announcement_escapes_the_team_name_and_shows_both_clocks() -> None:
    message = office_hours.announcement(_session(going=4))
    text = str(message.blocks)
    assert "R&amp;D &lt;!channel&gt; *ops*" in text and "<!channel>" not in text
    assert "<!channel>" not in message.text  # the notification text is read as mrkdwn too
    assert f"<!date^{int(START.timestamp())}^{{date_short_pretty}} at {{time}}|" in text
    assert "Thu 12 Mar, 15:00–16:30 EDT" in text
    assert message.blocks[-1]["elements"][0]["text"] == "4 coming"
    assert len(message.blocks) <= 50


def test_the_reminder_counts_down_and_carries_im_here() -> None:
    view = _session(here=3)
    before = office_hours.reminder(view, datetime(2026, 3, 12, 18, 45, tzinfo=UTC))
    assert before.text == "Office hours start in 15 minutes (15:00 EDT)."
    assert before.blocks[1]["elements"][0]["value"] == "7"
    assert before.blocks[-1]["elements"][0]["text"] == "3 here"
    during = office_hours.reminder(view, datetime(2026, 3, 12, 19, 5, tzinfo=UTC))
    assert during.text == "Office hours are on now, until 16:30 EDT."


def _check_in(**kw) -> check_ins.CheckInView:
    fields = {"check_in_id": 3, "team_id": 9, "team": TEAM, "week_of": date(2026, 3, 9), **kw}
    return check_ins.CheckInView(**fields)


def test_an_unanswered_check_in_has_two_questions_and_nothing_recorded() -> None:
    message = check_ins.check_in(_check_in())
    text = str(message.blocks)
    assert "R&amp;D &lt;!channel&gt;" in text and "Recorded" not in text
    assert "<!channel>" not in message.text
    assert "workflow.add" not in text
    buttons = [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == ["Yes", "Partly", "No", "Yes", "No"]
    assert {b["value"] for b in buttons} == {"3"} and not any("style" in b for b in buttons)


def test_shipped_yes_offers_the_workflow_registry() -> None:
    message = check_ins.check_in(
        _check_in(on_track="no", shipped=True, answered_by="U0OWNER", late=True)
    )
    text = str(message.blocks)
    assert "*Recorded by <@U0OWNER>:* on track: No · shipped this week: Yes." in text
    assert "late answers still count as answered" in text
    button = message.blocks[-2]["elements"][0]
    assert (button["action_id"], button["value"]) == ("workflow.add", "9")


RHYTHM = Cadence(
    weeks=4,
    office_hours_held=3,
    office_hours_attended=3,
    median_attendance=2.0,
    check_ins_answered=1,
    on_cadence=False,
)


def _status(diagnosis: Diagnosis, recovery_day: int | None) -> str:
    message = status("Team", diagnosis, member_count=8, min_group_size=5, recovery_day=recovery_day)
    return str(message.blocks)


def test_the_status_shows_the_cadence_under_an_open_recovery_only() -> None:
    plain = Diagnosis(findings=(), live_stages=frozenset(), recovery_stages=(), cadence=RHYTHM)
    assert "weekly cadence" not in _status(plain, None).lower()
    recovering = Diagnosis(
        findings=(), live_stages=frozenset(), recovery_stages=(2,), cadence=RHYTHM
    )
    text = _status(recovering, 12)
    assert "Step 4, restart the weekly cadence." in text
    assert "office hours held 3 of the last 4 weeks (median attendance 2)" in text
    assert "answered 1 of 4: not on cadence yet." in text
    assert text.index("Recovery needed") < text.index("Step 4")
