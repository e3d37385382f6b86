"""Creating and configuring teams: members, roles, tools, holidays and questions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from atlas.questions import DEFAULT_TOOLS, question
from bot.parsing import MAX_TOOLS, NAME_CHARS, TOOL_CHARS, clean_line
from bot.services import workspaces
from bot.storage import teams as repo
from bot.storage.db import Database
from bot.storage.models import (
    Member,
    Role,
    Team,
    TeamQuestionSetting,
    TeamTool,
    utcnow,
)


class TeamError(ValueError):
    """A team setting was refused; the message says why and what would work."""


@dataclass(frozen=True)
class TeamRef:
    """Ids that identify a team."""

    id: int
    workspace_id: int
    name: str


def create_team(
    *,
    db: Database,
    slack_team_id: str,
    name: str,
    timezone: str = "UTC",
    rollout_start: date | None = None,
    tools: tuple[tuple[str, str], ...] = DEFAULT_TOOLS,
    configured_by: str | None = None,
    **schedule: object,
) -> TeamRef:
    """Create a team in a workspace (recording the workspace on first sight)."""
    info = workspaces.ensure(db=db, slack_team_id=slack_team_id)
    with db.unit_of_work() as session:
        team = Team(
            workspace_id=info.id,
            name=name,
            timezone=timezone,
            rollout_start=rollout_start,
            configured_by=configured_by,
        )
        session.add(team)
        session.flush()
        # Set after the insert: an explicit None (e.g. reminders off) must not fall back to
        # the column default.
        for name_, value in schedule.items():
            setattr(team, name_, value)
        for position, (key, label) in enumerate(tools):
            session.add(TeamTool(team_id=team.id, key=key, label=label, position=position))
        return TeamRef(team.id, team.workspace_id, team.name)


def add_member(
    *,
    db: Database,
    team_id: int,
    slack_user_id: str,
    role: Role = Role.MEMBER,
    timezone: str | None = None,
) -> int:
    """Add a person to a team (or bring them back, keeping history); returns the member id."""
    with db.unit_of_work() as session:
        team = repo.get(session=session, team_id=team_id)
        if team is None:
            raise TeamError(f"No team {team_id}.")
        member = repo.member(session=session, team_id=team_id, slack_user_id=slack_user_id)
        if member is None:
            member = Member(
                workspace_id=team.workspace_id, team_id=team_id, slack_user_id=slack_user_id
            )
            session.add(member)
        member.role, member.active, member.left_at = role, True, None
        if timezone is not None:
            member.timezone = timezone
        session.flush()
        return member.id


def remove_member(*, db: Database, team_id: int, slack_user_id: str) -> bool:
    """Stop asking someone (their answers stay). False if they were not in the team."""
    with db.unit_of_work() as session:
        member = repo.member(session=session, team_id=team_id, slack_user_id=slack_user_id)
        if member is None or not member.active:
            return False
        member.active, member.left_at = False, utcnow()
        return True


def tool_key(label: str) -> str:
    """A stable key for a tool's label: "Microsoft Copilot" → "microsoft_copilot"."""
    return re.sub(r"[^a-z0-9]+", "_", label.casefold()).strip("_")[:40] or "tool"


def set_tools(*, db: Database, team_id: int, labels: list[str]) -> tuple[tuple[str, str], ...]:
    """Replace the team's tool list. Old keys stay stored (inactive) so past answers still read."""
    cleaned = [clean_line(label)[:TOOL_CHARS] for label in labels if clean_line(label)]
    if not cleaned:
        raise TeamError("The tool list needs at least one tool, e.g. ChatGPT.")
    if len(cleaned) > MAX_TOOLS:
        raise TeamError(f"At most {MAX_TOOLS} tools fit in the question; merge some.")
    with db.unit_of_work() as session:
        existing = repo.all_tools(session=session, team_id=team_id)
        for tool in existing.values():
            tool.active = False
        for position, label in enumerate(cleaned):
            key = tool_key(label)
            tool = existing.get(key)
            if tool is None:
                tool = TeamTool(team_id=team_id, key=key)
                session.add(tool)
                existing[key] = tool
            tool.label, tool.position, tool.active = label, position, True
        session.flush()
        return repo.tools(session=session, team_id=team_id)


def set_question_enabled(*, db: Database, team_id: int, question_id: str, enabled: bool) -> None:
    """Switch a question off or back on for a team."""
    if question(question_id) is None:
        raise TeamError(f"No question called {question_id!r}.")
    with db.unit_of_work() as session:
        setting = session.get(TeamQuestionSetting, (team_id, question_id))
        if setting is None:
            session.add(
                TeamQuestionSetting(team_id=team_id, question_id=question_id, enabled=enabled)
            )
        else:
            setting.enabled = enabled


def set_holidays(*, db: Database, team_id: int, days: dict[date, str | None]) -> None:
    """Replace the team's holiday list; each name is one line of at most NAME_CHARS."""
    named: dict[date, str | None] = {}
    for day, name in days.items():
        label = clean_line(name or "")
        if len(label) > NAME_CHARS:
            raise TeamError(
                f"The holiday name “{label[:30]}…” is {len(label)} characters; keep it to "
                f"{NAME_CHARS}, e.g. Christmas."
            )
        named[day] = label or None
    with db.unit_of_work() as session:
        repo.replace_holidays(session=session, team_id=team_id, days=named)
