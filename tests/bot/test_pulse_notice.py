"""The pulse DM says plainly when a person's usage answer is read on its own for their role."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from atlas.diagnosis.model import Notice
from atlas.questions import question
from bot.blocks.pulse import notice_line, pulse_message
from bot.services.pulse_view import PulseView, decode_notice, encode_notice
from bot.storage.models import Role


def _view(role: Role = Role.MEMBER, *, owns_workflow: bool = False) -> PulseView:
    return PulseView(
        delivery_id=7,
        team_name="Ops",
        questions=(question("ai_frequency"), question("time_saved")),
        answers={},
        confidential_done=frozenset(),
        closes_local=datetime(2026, 11, 20, 18, 30, tzinfo=UTC),
        is_open=True,
        min_group_size=5,
        role=role,
        owns_workflow=owns_workflow,
    )


def test_a_member_without_a_role_gets_no_notice() -> None:
    assert _view().notice == ()
    assert notice_line(_view()) is None
    assert "Read on its own" not in json.dumps(pulse_message(_view()).blocks)


def test_an_ai_lead_who_owns_a_workflow_is_told_both_under_the_usage_question() -> None:
    view = _view(Role.AI_LEAD, owns_workflow=True)
    assert view.notice == (Notice.AI_LEAD, Notice.WORKFLOW_OWNER)
    line = notice_line(view)
    assert "The rollout owner sees it with your name" in line
    assert "as the team's AI lead" in line and "owner of a workflow" in line
    blocks = pulse_message(view).blocks
    texts = [json.dumps(b) for b in blocks]
    usage = next(i for i, t in enumerate(texts) if "How often did you use AI" in t)
    assert "Read on its own" in texts[usage + 2]  # the question, its buttons, then the notice
    assert sum("Read on its own" in t for t in texts) == 1


def test_the_stored_notice_reads_back_as_shown() -> None:
    notice = _view(Role.EXECUTIVE_SPONSOR, owns_workflow=True).notice
    assert encode_notice(notice) == "executive_sponsor workflow_owner"
    assert decode_notice(encode_notice(notice)) == frozenset(notice)
    assert encode_notice(()) is None and decode_notice(None) == frozenset()
    assert decode_notice("ai_lead something_else") == {Notice.AI_LEAD}
