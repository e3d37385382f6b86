"""Evidence can quote what members typed (a workflow's name): wherever it shows, it is escaped."""

from __future__ import annotations

import json
from datetime import date

from atlas import lookup
from atlas.diagnosis.model import Finding, Status
from bot.blocks import diagnosis as blocks

HOSTILE = "<!channel> <https://evil.example/login|Re-login> & co"
FINDING = Finding(
    mode_id="3.5",
    stage=3,
    status=Status.DETECTED,
    evidence=f"The owners of 1 shipped workflow do not use them: {HOSTILE}.",
    sample=1,
    confidence=1.0,
    since=date(2026, 11, 30),
)


def _raw(rendered: str) -> bool:
    return "<!channel>" in rendered or "<https://evil" in rendered or "& co" in rendered


def test_an_alert_escapes_the_evidence_in_its_blocks_and_its_notification_text() -> None:
    mode = lookup.get("3.5")
    stage = lookup.stage(mode.stage)
    message = blocks.alert("<!here> Eng", mode, stage, FINDING, 7, worse=False)
    rendered = json.dumps(message.blocks) + message.text
    assert not _raw(rendered) and "<!here>" not in rendered
    assert "&lt;!channel&gt;" in rendered


def test_the_cleared_note_and_the_in_your_team_line_escape_it_too() -> None:
    cleared = blocks.cleared("Eng", lookup.get("3.5"), FINDING.evidence)
    note = blocks.team_note("<!here> Eng", FINDING)
    assert note is not None
    for rendered in (cleared.text, json.dumps(cleared.blocks), note):
        assert not _raw(rendered) and "<!here>" not in rendered


def test_a_team_name_never_reaches_a_notification_text_raw() -> None:
    from atlas.diagnosis.model import Diagnosis

    team = "<!here> Eng"
    empty = Diagnosis(findings=(FINDING,), live_stages=frozenset({3}), recovery_stages=(3,))
    for message in (
        blocks.recovery_opened(team, empty, date(2026, 11, 30)),
        blocks.status(team, empty, member_count=6, min_group_size=5, recovery_day=None),
    ):
        assert "<!here>" not in message.text and not _raw(message.text)
