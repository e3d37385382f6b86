"""Repository for teams, members, holidays, tools and question settings. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.storage.models import (
    Member,
    ProcessedEvent,
    Role,
    Team,
    TeamHoliday,
    TeamQuestionSetting,
    TeamSource,
    TeamTool,
    Workspace,
)


def get(*, session: Session, team_id: int) -> Team | None:
    """The team with this id, or None."""
    return session.get(Team, team_id)


def lock(*, session: Session, team_id: int) -> Team | None:
    """The team, locked for the rest of the transaction: others who lock it wait until commit.

    PostgreSQL takes a row lock (SELECT … FOR UPDATE). SQLite has no row locks, so a no-op
    UPDATE opens the transaction with the database's write lock; as the transaction's first
    statement it waits (busy timeout) instead of failing on a stale read snapshot. Either way,
    everything read after this sees what the previous holder committed.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(Team)
            .where(Team.id == team_id)
            .values(id=Team.id)
            .execution_options(synchronize_session=False)
        )
        return session.get(Team, team_id, populate_existing=True)
    return session.scalar(
        select(Team)
        .where(Team.id == team_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def team_named(*, session: Session, workspace_id: int, name: str) -> Team | None:
    """The workspace's team with this name, ignoring case."""
    return session.scalar(
        select(Team).where(
            Team.workspace_id == workspace_id, func.lower(Team.name) == name.casefold()
        )
    )


def teams_with_source(
    *, session: Session, slack_team_id: str, kind: TeamSource, source_id: str
) -> Sequence[Team]:
    """Teams whose membership follows this channel or user group."""
    return session.scalars(
        select(Team)
        .join(Workspace, Workspace.id == Team.workspace_id)
        .where(
            Workspace.slack_team_id == slack_team_id,
            Team.source_kind == kind,
            Team.source_id == source_id,
        )
        .order_by(Team.id)
    ).all()


def every_team(*, session: Session) -> list[tuple[Team, str]]:
    """Every team with its workspace's Slack team id, by id."""
    rows = session.execute(
        select(Team, Workspace.slack_team_id)
        .join(Workspace, Workspace.id == Team.workspace_id)
        .order_by(Team.id)
    ).all()
    return [(team, slack_team_id) for team, slack_team_id in rows]


def workspace_teams(*, session: Session, workspace_id: int) -> Sequence[Team]:
    """Every team of a workspace, by name."""
    return session.scalars(
        select(Team).where(Team.workspace_id == workspace_id).order_by(Team.name)
    ).all()


def pulse_teams(*, session: Session) -> Sequence[Team]:
    """Teams whose pulse is on, in workspaces the app still serves."""
    return session.scalars(
        select(Team)
        .join(Workspace, Workspace.id == Team.workspace_id)
        .where(Team.pulse_enabled.is_(True), Workspace.active.is_(True))
        .order_by(Team.id)
    ).all()


def active_members(*, session: Session, team_id: int) -> Sequence[Member]:
    """Members currently in the team (left members keep their history but are not asked)."""
    return session.scalars(
        select(Member).where(Member.team_id == team_id, Member.active.is_(True)).order_by(Member.id)
    ).all()


def members_of(*, session: Session, team_id: int) -> Sequence[Member]:
    """Everyone who was ever in the team, active or not."""
    return session.scalars(select(Member).where(Member.team_id == team_id)).all()


def forget_events(*, session: Session, before: datetime) -> None:
    """Drop the record of Events API deliveries older than `before`."""
    session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < before))


def memberships(*, session: Session, workspace_id: int, slack_user_id: str) -> Sequence[Member]:
    """Every team membership of one person in one workspace."""
    return session.scalars(
        select(Member).where(
            Member.workspace_id == workspace_id, Member.slack_user_id == slack_user_id
        )
    ).all()


def active_memberships(
    *, session: Session, slack_team_id: str, slack_user_id: str
) -> Sequence[Member]:
    """One person's current team memberships in the workspace with this Slack team id."""
    return session.scalars(
        select(Member)
        .join(Workspace, Workspace.id == Member.workspace_id)
        .where(
            Workspace.slack_team_id == slack_team_id,
            Member.slack_user_id == slack_user_id,
            Member.active.is_(True),
        )
        .order_by(Member.id)
    ).all()


def members_with_role(*, session: Session, team_id: int, role: Role) -> Sequence[Member]:
    """Active members holding a role (e.g. the owner)."""
    return session.scalars(
        select(Member).where(
            Member.team_id == team_id, Member.role == role, Member.active.is_(True)
        )
    ).all()


def holidays(*, session: Session, team_id: int) -> frozenset[date]:
    """The team's holiday dates."""
    return frozenset(
        session.scalars(select(TeamHoliday.day).where(TeamHoliday.team_id == team_id)).all()
    )


def tools(*, session: Session, team_id: int) -> tuple[tuple[str, str], ...]:
    """The team's active tool list as (key, label), in order."""
    rows = session.execute(
        select(TeamTool.key, TeamTool.label)
        .where(TeamTool.team_id == team_id, TeamTool.active.is_(True))
        .order_by(TeamTool.position, TeamTool.id)
    ).all()
    return tuple((key, label) for key, label in rows)


def disabled_questions(*, session: Session, team_id: int) -> frozenset[str]:
    """Questions the team switched off."""
    return frozenset(
        session.scalars(
            select(TeamQuestionSetting.question_id).where(
                TeamQuestionSetting.team_id == team_id, TeamQuestionSetting.enabled.is_(False)
            )
        ).all()
    )


def member(*, session: Session, team_id: int, slack_user_id: str) -> Member | None:
    """One person's membership of one team, active or not."""
    return session.scalar(
        select(Member).where(Member.team_id == team_id, Member.slack_user_id == slack_user_id)
    )


def all_tools(*, session: Session, team_id: int) -> dict[str, TeamTool]:
    """Every tool the team ever listed, active or not, by key."""
    rows = session.scalars(select(TeamTool).where(TeamTool.team_id == team_id))
    return {tool.key: tool for tool in rows}


def replace_holidays(*, session: Session, team_id: int, days: dict[date, str | None]) -> None:
    """Make the team's holidays exactly `days`."""
    session.execute(delete(TeamHoliday).where(TeamHoliday.team_id == team_id))
    for day, name in sorted(days.items()):
        session.add(TeamHoliday(team_id=team_id, day=day, name=name))


def owner_recipients(*, session: Session, team: Team) -> list[str]:
    """Who hears about a team: its owners, else whoever set it up, else the app's installer."""
    owners = [
        m.slack_user_id
        for m in members_with_role(session=session, team_id=team.id, role=Role.OWNER)
    ]
    if owners:
        return owners
    fallback = team.configured_by or session.get(Workspace, team.workspace_id).installed_by_user_id
    return [fallback] if fallback else []
