"""Team membership follows a channel or a user group: joiners are added, leavers stop being asked.

Two ways in: Slack's events (member_joined_channel, member_left_channel,
subteam_members_changed) apply one change at once, and a periodic full sync
(conversations.members or usergroups.users.list) catches what events missed. Leavers are
deactivated, never deleted, so their past answers stay in the history. The named roles (owner,
AI lead, executive sponsor) stay in the team even when they are not in the channel.
A sync that cannot read the list changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from bot.outbound import Caller, Outcome
from bot.storage import teams as repo
from bot.storage.db import Database
from bot.storage.models import Member, ProcessedEvent, Role, Team, TeamSource, Workspace

log = logging.getLogger(__name__)

SYNC_EVERY = timedelta(hours=6)
PAGE = 200  # conversations.members page size
EVENT_MEMORY = timedelta(days=2)  # Slack retries within minutes; a day or two is plenty


@dataclass
class SyncReport:
    """What a sync changed, or why it could not."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: int = 0
    outcome: Outcome = Outcome.OK
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the list was read (and applied)."""
        return self.outcome is Outcome.OK


def fetch(caller: Caller, kind: TeamSource, source_id: str) -> tuple[list[str], SyncReport]:
    """The user ids in a channel or user group, paging as needed."""
    report = SyncReport()
    if kind is TeamSource.USERGROUP:
        result = caller.call("usergroups.users.list", usergroup=source_id)
        if result.outcome is not Outcome.OK:
            report.outcome, report.error = result.outcome, result.error
            return [], report
        return list((result.data or {}).get("users") or []), report
    users: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, object] = {"channel": source_id, "limit": PAGE}
        if cursor:
            params["cursor"] = cursor
        result = caller.call("conversations.members", **params)
        if result.outcome is not Outcome.OK:
            report.outcome, report.error = result.outcome, result.error
            return [], report
        data = result.data or {}
        users.extend(data.get("members") or [])
        cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return users, report


def sync(*, db: Database, team_id: int, caller: Caller, now: datetime) -> SyncReport:
    """Make the team's members match its channel or user group."""
    with db.unit_of_work() as session:
        team = repo.get(session=session, team_id=team_id)
        if team is None or team.source_kind is None or not team.source_id:
            return SyncReport(outcome=Outcome.FAILED, error="no channel or user group set")
        kind, source_id = team.source_kind, team.source_id
        bot_user = session.get(Workspace, team.workspace_id).bot_user_id
    users, report = fetch(caller, kind, source_id)
    if not report.ok:
        log.warning(
            "could not read the members of %s for team %s: %s", source_id, team_id, report.error
        )
        if report.outcome is Outcome.FAILED:  # e.g. not in a private channel: wait a while
            with db.unit_of_work() as session:
                repo.get(session=session, team_id=team_id).members_synced_at = now
        return report
    wanted = {u for u in users if u and u != bot_user}
    with db.unit_of_work() as session:
        team = repo.get(session=session, team_id=team_id)
        current = {m.slack_user_id: m for m in repo.members_of(session=session, team_id=team_id)}
        for user in sorted(wanted):
            member = current.get(user)
            if member is None:
                session.add(
                    Member(workspace_id=team.workspace_id, team_id=team_id, slack_user_id=user)
                )
                report.added.append(user)
            elif not member.active:
                member.active, member.left_at = True, None
                report.added.append(user)
            else:
                report.kept += 1
        for user, member in current.items():
            if user not in wanted and member.active and member.role is Role.MEMBER:
                member.active, member.left_at = False, now
                report.removed.append(user)
        team.members_synced_at = now
    if report.added or report.removed:
        log.info("team %s: %d joined, %d left", team_id, len(report.added), len(report.removed))
    return report


def due(team: Team, now: datetime) -> bool:
    """Whether a team's periodic sync is due."""
    if team.source_kind is None or not team.source_id:
        return False
    return team.members_synced_at is None or now - team.members_synced_at >= SYNC_EVERY


def moved(
    *,
    db: Database,
    slack_team_id: str,
    kind: TeamSource,
    source_id: str,
    users: Iterable[str],
    now: datetime,
    joined: bool,
) -> list[int]:
    """People joined (or left) a channel or user group: every team following it follows suit.

    Joiners are added (or come back); leavers stop being asked, keeping their history, unless
    they hold a named role. Returns the ids of the teams that changed.
    """
    return _change(db, slack_team_id, kind, source_id, list(users), now, join=joined)


def _change(
    db: Database,
    slack_team_id: str,
    kind: TeamSource,
    source_id: str,
    users: list[str],
    now: datetime,
    *,
    join: bool,
) -> list[int]:
    changed: list[int] = []
    with db.unit_of_work() as session:
        teams = repo.teams_with_source(
            session=session, slack_team_id=slack_team_id, kind=kind, source_id=source_id
        )
        for team in teams:
            bot_user = session.get(Workspace, team.workspace_id).bot_user_id
            for user in users:
                if not user or user == bot_user:
                    continue
                member = repo.member(session=session, team_id=team.id, slack_user_id=user)
                if join:
                    if member is None:
                        session.add(
                            Member(
                                workspace_id=team.workspace_id, team_id=team.id, slack_user_id=user
                            )
                        )
                    elif not member.active:
                        member.active, member.left_at = True, None
                    else:
                        continue
                else:
                    if member is None or not member.active or member.role is not Role.MEMBER:
                        continue
                    member.active, member.left_at = False, now
                changed.append(team.id)
    return sorted(set(changed))


def first_time(*, db: Database, event_id: str | None, now: datetime) -> bool:
    """Record an Events API delivery; False when it was handled before (a Slack retry)."""
    if not event_id:
        return True
    try:
        with db.unit_of_work() as session:
            session.add(ProcessedEvent(event_id=event_id, received_at=now))
    except IntegrityError:
        return False
    with db.unit_of_work() as session:
        repo.forget_events(session=session, before=now - EVENT_MEMORY)
    return True


def sync_channel(
    *, db: Database, caller: Caller, slack_team_id: str, channel: str, now: datetime
) -> list[SyncReport]:
    """Read a channel's members now for every team that follows it (e.g. the app was invited)."""
    with db.unit_of_work() as session:
        team_ids = [
            t.id
            for t in repo.teams_with_source(
                session=session,
                slack_team_id=slack_team_id,
                kind=TeamSource.CHANNEL,
                source_id=channel,
            )
        ]
    return [sync(db=db, team_id=team_id, caller=caller, now=now) for team_id in team_ids]
