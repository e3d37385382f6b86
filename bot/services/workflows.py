"""The workflow registry: what the team runs with AI, who owns it, when it shipped, the baseline.

It feeds the diagnosis: 2.1 (nothing shipped by day 30), 2.4 (no baseline), 3.5 (the owner
does not use it) and 4.1. Any member may add a workflow; the rollout owner, the workflow's owner
and whoever added it may change or remove it. Removing archives it, so it can be undone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.parsing import SHIPPED_PAST_YEARS, WORKFLOW_MINUTES, whole_number, years_later
from bot.services import diagnosis
from bot.services.setup import CLEAR, Reader, read_name
from bot.storage import rituals
from bot.storage import teams as team_repo
from bot.storage.db import Database
from bot.storage.models import Role, Team, WorkflowRecord


class WorkflowError(ValueError):
    """A workflow was refused: `errors` maps each field to what is wrong and what works."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(" ".join(f"{k}: {v}" for k, v in errors.items()))


class NotAllowed(Exception):
    """The person may not change this workflow."""


@dataclass(frozen=True)
class WorkflowInput:
    """A workflow's fields, checked."""

    name: str
    owner: str | None
    shipped_on: date | None
    minutes_before: int | None
    minutes_after: int | None


@dataclass(frozen=True)
class WorkflowView:
    """One workflow as listed."""

    id: int
    team_id: int
    name: str
    owner: str | None
    shipped_on: date | None
    minutes_before: int | None
    minutes_after: int | None
    archived: bool

    @property
    def saved_minutes(self) -> int | None:
        """Minutes saved per run, when both sides are measured."""
        if self.minutes_before is None or self.minutes_after is None:
            return None
        return self.minutes_before - self.minutes_after


def read(raw: dict[str, str | None], *, today: date) -> WorkflowInput:
    """Check a workflow's raw fields; WorkflowError names every refused one."""
    errors: dict[str, str] = {}
    reader = Reader(today=today)

    def field(name: str, parse: Callable[[str], Any]) -> Any:
        text = raw.get(name)
        try:
            return parse(text or "")
        except ValueError as exc:
            errors[name] = str(exc)
            return None

    name = field("name", _name)
    owner = field("owner", reader._user)
    shipped = field("shipped_on", lambda t: _shipped(t, today))
    before = field("minutes_before", _minutes)
    after = field("minutes_after", _minutes)
    if errors:
        raise WorkflowError(errors)
    return WorkflowInput(
        name=name, owner=owner, shipped_on=shipped, minutes_before=before, minutes_after=after
    )


def _name(text: str) -> str:
    return read_name(text, example="Weekly client report")


def _shipped(text: str, today: date) -> date | None:
    if text.strip().casefold() in CLEAR:
        return None
    earliest = years_later(today, -SHIPPED_PAST_YEARS)
    allowed = f"Use a date from {earliest.isoformat()} to today ({today.isoformat()})"
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{allowed}, or leave it empty if not shipped.") from None
    if day > today:
        raise ValueError(
            f"That is in the future; leave it empty until it is in real use. {allowed}."
        )
    if day < earliest:
        raise ValueError(f"That is more than {SHIPPED_PAST_YEARS} years ago; check the year.")
    return day


def _minutes(text: str) -> int | None:
    low, high = WORKFLOW_MINUTES
    cleaned = text.strip().casefold().removesuffix("minutes").removesuffix("min").strip()
    if cleaned in CLEAR:
        return None
    number = whole_number(cleaned)
    if number is None or not low <= number <= high:
        raise ValueError(f"Use whole minutes from {low} to {high:,}, e.g. 45.")
    return number


def _view(record: WorkflowRecord) -> WorkflowView:
    return WorkflowView(
        id=record.id,
        team_id=record.team_id,
        name=record.name,
        owner=record.owner_user_id,
        shipped_on=record.shipped_on,
        minutes_before=record.minutes_before,
        minutes_after=record.minutes_after,
        archived=record.archived_at is not None,
    )


def add(
    *, db: Database, team_id: int, data: WorkflowInput, by: str | None, now: datetime
) -> WorkflowView:
    """Add a workflow (an archived one of the same name comes back with the new values)."""
    with db.unit_of_work() as session:
        team = team_repo.get(session=session, team_id=team_id)
        if team is None:
            raise LookupError(team_id)
        _check_owner(session, team, data.owner, by, current=None)
        record = rituals.workflow_named(session=session, team_id=team_id, name=data.name)
        if record is not None and record.archived_at is None:
            raise WorkflowError(
                {"name": f"{data.name} is already in the registry; edit it instead."}
            )
        if record is None:
            record = WorkflowRecord(
                workspace_id=team.workspace_id, team_id=team_id, created_by=by, created_at=now
            )
            session.add(record)
        record.archived_at = None
        _fill(record, data, now)
        session.flush()
        return _view(record)


def edit(
    *, db: Database, workflow_id: int, data: WorkflowInput, by: str, now: datetime
) -> WorkflowView:
    """Change a workflow's fields."""
    with db.unit_of_work() as session:
        record = _editable(session, workflow_id, by)
        clash = rituals.workflow_named(session=session, team_id=record.team_id, name=data.name)
        if clash is not None and clash.id != record.id:
            raise WorkflowError({"name": f"Another workflow is called {data.name}."})
        team = session.get(Team, record.team_id)
        _check_owner(session, team, data.owner, by, current=record.owner_user_id)
        _fill(record, data, now)
        session.flush()
        return _view(record)


def save(
    *,
    db: Database,
    slack_team_id: str,
    user_id: str,
    team_id: int | None,
    workflow_id: int | None,
    data: WorkflowInput,
    now: datetime,
    followup: diagnosis.Followup,
) -> WorkflowView:
    """Add a workflow to a team's registry, or change one, as this person.

    Anyone in the team may add; the team's owner, the workflow's owner and whoever added it may
    change it (`NotAllowed` otherwise). A person named owner by someone else is told by DM. The
    team's diagnosis is brought up to date afterwards.
    """
    previous_owner = None
    if workflow_id is not None:
        before = get(db=db, workflow_id=workflow_id)
        previous_owner = before.owner if before is not None else None
        done = edit(db=db, workflow_id=workflow_id, data=data, by=user_id, now=now)
    elif team_id in {t for t, _ in teams_for(db=db, slack_team_id=slack_team_id, user_id=user_id)}:
        done = add(db=db, team_id=team_id, data=data, by=user_id, now=now)
    else:
        raise NotAllowed(user_id)
    if done.owner and done.owner not in (user_id, previous_owner):
        # Their usage answers will be read for this role (rule 3.5): they hear it from us first.
        from bot.blocks.workflows import named_owner

        followup.tell(done.owner, named_owner(done, by=user_id))
    followup.rediagnose(team_id=done.team_id, now=now, trigger="workflow")
    return done


def remove(
    *,
    db: Database,
    workflow_id: int,
    by: str,
    now: datetime,
    followup: diagnosis.Followup | None = None,
) -> WorkflowView:
    """Archive a workflow (it stops counting); `restore` undoes it."""
    return _archive(db, workflow_id, by, now, followup, archived=True)


def restore(
    *,
    db: Database,
    workflow_id: int,
    by: str,
    now: datetime,
    followup: diagnosis.Followup | None = None,
) -> WorkflowView:
    """Undo a removal."""
    return _archive(db, workflow_id, by, now, followup, archived=False)


def _archive(
    db: Database,
    workflow_id: int,
    by: str,
    now: datetime,
    followup: diagnosis.Followup | None,
    *,
    archived: bool,
) -> WorkflowView:
    with db.unit_of_work() as session:
        record = _editable(session, workflow_id, by)
        if archived:
            record.archived_at = now
        else:
            name = record.name
            clash = rituals.workflow_named(session=session, team_id=record.team_id, name=name)
            if clash is not None and clash.id != record.id:
                raise WorkflowError({"name": f"Another workflow is now called {name}."})
            record.archived_at, record.updated_at = None, now
        done = _view(record)
    if followup is not None:
        followup.rediagnose(team_id=done.team_id, now=now, trigger="workflow")
    return done


def get(*, db: Database, workflow_id: int) -> WorkflowView | None:
    """One workflow."""
    with db.unit_of_work() as session:
        record = session.get(WorkflowRecord, workflow_id)
        return _view(record) if record is not None else None


def listing(*, db: Database, team_id: int) -> list[WorkflowView]:
    """The team's current workflows, oldest first."""
    with db.unit_of_work() as session:
        return [_view(r) for r in rituals.workflows(session=session, team_id=team_id)]


def may_edit(*, db: Database, workflow_id: int, user_id: str) -> bool:
    """Whether this person may change the workflow."""
    with db.unit_of_work() as session:
        try:
            _editable(session, workflow_id, user_id)
        except (LookupError, NotAllowed):
            return False
        return True


def _editable(session: Session, workflow_id: int, user_id: str) -> WorkflowRecord:
    record = session.get(WorkflowRecord, workflow_id)
    if record is None:
        raise LookupError(workflow_id)
    if user_id in (record.owner_user_id, record.created_by):
        return record
    team = session.get(Team, record.team_id)
    member = team_repo.member(session=session, team_id=team.id, slack_user_id=user_id)
    if member is not None and member.active and (member.role is Role.OWNER or member.is_admin):
        return record
    if team.configured_by == user_id:
        return record
    raise NotAllowed(user_id)


def _check_owner(
    session: Session, team: Team, owner: str | None, by: str | None, *, current: str | None
) -> None:
    """Only the person themself or the team's owner may name someone a workflow's owner.

    The owner's own AI use feeds rule 3.5, so naming anyone at will would let a member test
    one person's answer by adding and removing workflows.
    """
    if owner is None or by is None or owner in (current, by):
        return
    member = team_repo.member(session=session, team_id=team.id, slack_user_id=by)
    if member is not None and member.active and (member.role is Role.OWNER or member.is_admin):
        return
    if team.configured_by == by:
        return
    raise WorkflowError(
        {"owner": "Only the team's rollout owner can name someone else; pick yourself or nobody."}
    )


def _fill(record: WorkflowRecord, data: WorkflowInput, now: datetime) -> None:
    record.name = data.name
    record.owner_user_id = data.owner
    record.shipped_on = data.shipped_on
    record.minutes_before = data.minutes_before
    record.minutes_after = data.minutes_after
    record.updated_at = now


def teams_for(*, db: Database, slack_team_id: str, user_id: str) -> list[tuple[int, str]]:
    """Teams whose registry this person may add to: their own and those they may edit."""
    from bot.services import setup

    with db.unit_of_work() as session:
        mine = {
            m.team_id: session.get(Team, m.team_id).name
            for m in team_repo.active_memberships(
                session=session, slack_team_id=slack_team_id, slack_user_id=user_id
            )
        }
    for team_id, name in setup.editable(db=db, slack_team_id=slack_team_id, user_id=user_id):
        mine.setdefault(team_id, name)
    return sorted(mine.items(), key=lambda t: t[1].casefold())
