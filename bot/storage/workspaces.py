"""Repository for workspaces. Never commits: the caller's unit of work does."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import Workspace


def get_by_slack_id(*, session: Session, slack_team_id: str) -> Workspace | None:
    """The workspace with this Slack team id, or None."""
    return session.scalar(select(Workspace).where(Workspace.slack_team_id == slack_team_id))


def add(*, session: Session, slack_team_id: str, **fields: object) -> Workspace:
    """Add a workspace row and flush it so it has an id."""
    workspace = Workspace(slack_team_id=slack_team_id, **fields)
    session.add(workspace)
    session.flush()
    return workspace


def deactivate(*, session: Session, workspace: Workspace, at: datetime) -> None:
    """Mark a workspace as no longer served (uninstalled, token revoked)."""
    workspace.active = False
    workspace.deactivated_at = at


def active_slack_ids(*, session: Session) -> list[str]:
    """The Slack team ids of the workspaces the app still serves."""
    return list(
        session.scalars(
            select(Workspace.slack_team_id).where(Workspace.active.is_(True)).order_by(Workspace.id)
        ).all()
    )
