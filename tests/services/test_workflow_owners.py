"""A workflow's owner feeds rule 3.5, so only the person or the team's owner may name them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from bot.services import diagnosis, workflows
from bot.services.workflows import WorkflowError, WorkflowInput
from bot.storage.models import Role
from tests.services.conftest import Env, utc

NY = "America/New_York"
NOW = utc(2026, 12, 7, 15, 0)
TEAM = [("UOWNER", NY, Role.OWNER), ("UANA", NY, Role.MEMBER), ("UBEN", NY, Role.MEMBER)]


def _named(owner: str) -> WorkflowInput:
    return WorkflowInput(f"Report for {owner}", owner, date(2026, 12, 1), 60, 20)


def test_a_member_cannot_name_someone_else_to_probe_their_answer(env: Env) -> None:
    team_id = env.team(TEAM, created="2026-11-27", min_group_size=5)
    with pytest.raises(WorkflowError) as refused:
        workflows.add(db=env.db, team_id=team_id, data=_named("UBEN"), by="UANA", now=NOW)
    assert "owner" in refused.value.errors
    assert workflows.listing(db=env.db, team_id=team_id) == []
    # Adding one naming herself, then switching its owner to someone else, is refused too.
    mine = workflows.add(db=env.db, team_id=team_id, data=_named("UANA"), by="UANA", now=NOW)
    with pytest.raises(WorkflowError):
        workflows.edit(db=env.db, workflow_id=mine.id, data=_named("UBEN"), by="UANA", now=NOW)


def test_the_team_owner_may_name_anyone(env: Env) -> None:
    team_id = env.team(TEAM, created="2026-11-27")
    added = workflows.add(db=env.db, team_id=team_id, data=_named("UBEN"), by="UOWNER", now=NOW)
    assert added.owner == "UBEN"


def _followup(env: Env) -> diagnosis.Followup:
    """A Followup whose hand-offs run at once, on the stand-in Slack."""

    def at_once(work: Callable[..., object], *args: object, **kwargs: object) -> None:
        work(*args, **kwargs)

    return diagnosis.Followup(db=env.db, caller=env.caller(), later=at_once)


def test_a_person_named_owner_by_someone_else_is_told_by_dm(env: Env) -> None:
    team_id = env.team(TEAM, created="2026-11-27")
    followup = _followup(env)
    common = {"db": env.db, "slack_team_id": env.slack.team_id, "now": NOW, "followup": followup}
    named = workflows.save(
        **common, user_id="UOWNER", team_id=team_id, workflow_id=None, data=_named("UBEN")
    )
    [dm] = [m for m in env.slack.messages_in(env.slack.dm_channel("UBEN")) if "owner" in m["text"]]
    assert "<@UOWNER> named you the owner" in dm["text"] and "Report for UBEN" in dm["text"]
    # Saving it again without changing its owner, or naming yourself, tells nobody again.
    workflows.save(
        **common, user_id="UOWNER", team_id=team_id, workflow_id=named.id, data=_named("UBEN")
    )
    workflows.save(**common, user_id="UANA", team_id=team_id, workflow_id=None, data=_named("UANA"))
    told = [
        m
        for user in ("UBEN", "UANA")
        for m in env.slack.messages_in(env.slack.dm_channel(user))
        if "named you the owner" in m["text"]
    ]
    assert len(told) == 1
