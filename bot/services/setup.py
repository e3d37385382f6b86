"""A team's settings: read from text (the setup modal and `atlas-bot team`), checked, saved.

The modal and the CLI share this module, so the same value is refused with the same words in
both places. `read` turns raw strings into typed values with an error per field; `save` creates
or updates the team in one unit of work, so a refused setting saves nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from bot.outbound import Caller, Outcome
from bot.parsing import (
    MAX_TOOLS,
    NAME_CHARS,
    OFFICE_HOURS_MINUTES,
    ROLLOUT_AHEAD_DAYS,
    ROLLOUT_PAST_YEARS,
    TOOL_CHARS,
    TOOLS_TEXT_CHARS,
    ZONE_CHARS,
    clean_line,
    days_after,
    whole_number,
    years_later,
)
from bot.services import workspaces
from bot.services.teams import TeamError, TeamRef, tool_key
from bot.storage import teams as repo
from bot.storage.db import Database
from bot.storage.models import (
    MIN_GROUP_SIZE_RANGE,
    Member,
    Role,
    Team,
    TeamSource,
    TeamTool,
    utcnow,
)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_USER = re.compile(r"^<?@?([UW][A-Z0-9]{2,30})(?:\|[^>]*)?>?$")
_CHANNEL = re.compile(r"^<?#?([CG][A-Z0-9]{2,30})(?:\|[^>]*)?>?$")
_USERGROUP = re.compile(r"^<?!?(?:subteam\^)?(S[A-Z0-9]{2,30})(?:\|[^>]*)?>?$")
CLEAR = ("", "none", "off", "-")  # what clears an optional setting in the CLI

# Field name → what it is called on screen (errors and `team show` use it).
LABELS = {
    "name": "Team name",
    "channel": "Channel",
    "usergroup": "User group",
    "owner": "Rollout owner",
    "ai_lead": "AI lead",
    "sponsor": "Executive sponsor",
    "rollout_start": "Rollout start",
    "timezone": "Time zone",
    "pulse_day": "Pulse day",
    "pulse_time": "Pulse time",
    "min_group_size": "Minimum group size",
    "tools": "AI tools",
    "office_hours_channel": "Office hours channel",
    "office_hours_day": "Office hours day",
    "office_hours_time": "Office hours time",
    "office_hours_minutes": "Office hours length",
    "check_in": "Owner check-in",
    "check_in_day": "Check-in day",
    "check_in_time": "Check-in time",
    "pulse": "Pulse",
}


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()  # "leave as it is"; None means "clear it"


@dataclass
class TeamSettings:
    """Typed settings; a field left UNSET is not changed (or takes the default on create)."""

    name: str = UNSET
    channel: str | None = UNSET
    usergroup: str | None = UNSET
    owner: str | None = UNSET
    ai_lead: str | None = UNSET
    sponsor: str | None = UNSET
    rollout_start: date | None = UNSET
    timezone: str = UNSET
    pulse_day: int = UNSET
    pulse_time: time = UNSET
    min_group_size: int = UNSET
    tools: list[str] = UNSET
    office_hours_channel: str | None = UNSET
    office_hours_day: int = UNSET
    office_hours_time: time = UNSET
    office_hours_minutes: int = UNSET
    check_in: bool = UNSET
    check_in_day: int = UNSET
    check_in_time: time = UNSET
    pulse: bool = UNSET

    def given(self) -> dict[str, Any]:
        """The fields that were set, by name."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) is not UNSET
        }


class SettingsError(TeamError):
    """Some settings were refused: `errors` maps each field to what is wrong and what works."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(" ".join(f"{LABELS.get(k, k)}: {v}" for k, v in errors.items()))


def read_name(text: str, *, example: str) -> str:
    """A team's or a workflow's name: one line, 1 to NAME_CHARS characters."""
    cleaned = clean_line(text)
    if not cleaned:
        raise ValueError(f"Give it a name, e.g. {example}.")
    if len(cleaned) > NAME_CHARS:
        raise ValueError(
            f"That name is {len(cleaned)} characters; keep it to {NAME_CHARS}, e.g. {example}."
        )
    return cleaned


@dataclass
class Reader:
    """Collects typed values and per-field errors from raw text."""

    today: date
    settings: TeamSettings = field(default_factory=TeamSettings)
    errors: dict[str, str] = field(default_factory=dict)

    def read(self, raw: dict[str, str | None]) -> TeamSettings:
        """Read every given field; a field missing from `raw` stays UNSET."""
        for name, text in raw.items():
            parser = _PARSERS.get(name)
            if parser is None:
                self.errors[name] = "is not a setting."
                continue
            try:
                setattr(self.settings, name, parser(self, "" if text is None else str(text)))
            except ValueError as exc:
                self.errors[name] = str(exc)
        return self.settings

    # --- one reader per kind of value ---------------------------------------------------------
    def _name(self, text: str) -> str:
        return read_name(text, example="Marketing")

    def _user(self, text: str) -> str | None:
        if text.strip().casefold() in CLEAR:
            return None
        match = _USER.match(text.strip())
        if not match:
            raise ValueError("Pick a person (a Slack user id like U012ABC).")
        return match.group(1)

    def _channel(self, text: str) -> str | None:
        if text.strip().casefold() in CLEAR:
            return None
        match = _CHANNEL.match(text.strip())
        if not match:
            raise ValueError("Pick a channel (a Slack channel id like C012ABC).")
        return match.group(1)

    def _usergroup(self, text: str) -> str | None:
        if text.strip().casefold() in CLEAR:
            return None
        match = _USERGROUP.match(text.strip())
        if not match:
            raise ValueError("Pick a user group (a Slack user group id like S012ABC).")
        return match.group(1)

    def _date(self, text: str) -> date | None:
        if text.strip().casefold() in CLEAR:
            return None
        earliest = years_later(self.today, -ROLLOUT_PAST_YEARS)
        latest = days_after(self.today, ROLLOUT_AHEAD_DAYS)
        allowed = f"Use a date from {earliest.isoformat()} to {latest.isoformat()}"
        try:
            day = date.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(f"{allowed}, written like {self.today.isoformat()}.") from None
        if day < earliest:
            raise ValueError(
                f"That is more than {ROLLOUT_PAST_YEARS} years ago; check the year. {allowed}."
            )
        if day > latest:
            raise ValueError(f"That is more than a year ahead; pick the planned start. {allowed}.")
        return day

    def _zone(self, text: str) -> str:
        cleaned = text.strip()
        try:
            if len(cleaned) > ZONE_CHARS:
                raise ValueError(cleaned)
            ZoneInfo(cleaned)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                "Use a time zone name like Europe/Berlin or America/New_York."
            ) from None
        return cleaned

    def _weekday(self, text: str) -> int:
        cleaned = text.strip().casefold()
        number = whole_number(cleaned)
        if number is not None and number < len(WEEKDAYS):
            return number
        for number, day in enumerate(WEEKDAYS):
            if len(cleaned) >= 3 and day.startswith(cleaned):
                return number
        raise ValueError("Use a weekday from monday to sunday, e.g. monday (or mon).")

    def _time(self, text: str) -> time:
        match = re.fullmatch(r"\s*([0-9]{1,2}):([0-9]{2})(?::00)?\s*", text)
        if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            raise ValueError("Use a 24-hour time from 00:00 to 23:59, e.g. 10:00.")
        return time(int(match.group(1)), int(match.group(2)))

    def _group_size(self, text: str) -> int:
        low, high = MIN_GROUP_SIZE_RANGE
        number = whole_number(text)
        if number is None or not low <= number <= high:
            raise ValueError(
                f"Use a whole number from {low} to {high}, e.g. 5: below {low} answers could "
                "point to people."
            )
        return number

    def _tools(self, text: str) -> list[str]:
        if len(text) > TOOLS_TEXT_CHARS:
            raise ValueError(
                f"That list is {len(text):,} characters; keep it to {TOOLS_TEXT_CHARS:,}, one "
                "short tool name per line."
            )
        labels = [clean_line(p) for p in re.split(r"[\n,;]+", text)]
        labels = [label for label in labels if label]
        if not labels:
            raise ValueError("List at least one tool, e.g. ChatGPT.")
        if len(labels) > MAX_TOOLS:
            raise ValueError(
                f"That is {len(labels)} tools; at most {MAX_TOOLS} fit in the question. Merge "
                "some, e.g. list rarely used ones as one line “Other AI tools”."
            )
        too_long = next((label for label in labels if len(label) > TOOL_CHARS), None)
        if too_long:
            raise ValueError(
                f"“{too_long[:30]}…” is {len(too_long)} characters; keep each tool to "
                f"{TOOL_CHARS}, e.g. Microsoft Copilot."
            )
        keys = [tool_key(label) for label in labels]
        if len(set(keys)) != len(keys):
            raise ValueError("A tool is listed twice.")
        return labels

    def _minutes(self, text: str) -> int:
        low, high = OFFICE_HOURS_MINUTES
        number = whole_number(text)
        if number is None or not low <= number <= high:
            raise ValueError(f"Use whole minutes from {low} to {high}, e.g. 60.")
        return number

    def _switch(self, text: str) -> bool:
        cleaned = text.strip().casefold()
        if cleaned in ("on", "yes", "true", "1"):
            return True
        if cleaned in ("off", "no", "false", "0"):
            return False
        raise ValueError("Use on or off.")


_PARSERS = {
    "name": Reader._name,
    "channel": Reader._channel,
    "usergroup": Reader._usergroup,
    "owner": Reader._user,
    "ai_lead": Reader._user,
    "sponsor": Reader._user,
    "rollout_start": Reader._date,
    "timezone": Reader._zone,
    "pulse_day": Reader._weekday,
    "pulse_time": Reader._time,
    "min_group_size": Reader._group_size,
    "tools": Reader._tools,
    "office_hours_channel": Reader._channel,
    "office_hours_day": Reader._weekday,
    "office_hours_time": Reader._time,
    "office_hours_minutes": Reader._minutes,
    "check_in": Reader._switch,
    "check_in_day": Reader._weekday,
    "check_in_time": Reader._time,
    "pulse": Reader._switch,
}
FIELDS = tuple(_PARSERS)


def read(raw: dict[str, str | None], *, today: date) -> TeamSettings:
    """Typed settings from raw text, or SettingsError naming every refused field."""
    reader = Reader(today=today)
    settings = reader.read(raw)
    if reader.errors:
        raise SettingsError(reader.errors)
    return settings


@dataclass(frozen=True)
class SavedTeam:
    """What `save` did."""

    team: TeamRef
    created: bool
    source_changed: bool  # the channel or user group changed: membership needs a sync
    by: str | None = None  # who saved: they must belong to the new channel or user group
    previous: tuple[TeamSource | None, str | None] = (None, None)  # the source before the save


def save(
    *,
    db: Database,
    slack_team_id: str,
    settings: TeamSettings,
    team_id: int | None = None,
    by: str | None = None,
    require_source: bool = False,
    now: datetime | None = None,
) -> SavedTeam:
    """Create a team (team_id None) or update one; all or nothing.

    `require_source` (the modal) insists on a channel or user group and an owner.
    """
    info = workspaces.ensure(db=db, slack_team_id=slack_team_id)
    given = settings.given()
    with db.unit_of_work() as session:
        if team_id is None:
            team = Team(workspace_id=info.id, configured_by=by, created_at=now or utcnow())
            _require_new(given)
        else:
            team = repo.get(session=session, team_id=team_id)
            if team is None or team.workspace_id != info.id:
                raise TeamError(f"No team {team_id} in this workspace.")
        errors = _check(session, team, given, info.id, require_source)
        if errors:
            raise SettingsError(errors)
        before = (team.source_kind, team.source_id)
        _apply_team(team, given)
        session.add(team)
        session.flush()
        if "tools" in given or team_id is None:
            _apply_tools(session, team, given.get("tools"))
        _apply_roles(session, team, given)
        changed = (team.source_kind, team.source_id) != before and team.source_id is not None
        if changed:
            # No periodic sync may read the new source before `after_save` has checked that
            # whoever saved it belongs there.
            team.members_synced_at = now or utcnow()
        session.flush()
        return SavedTeam(
            team=TeamRef(team.id, team.workspace_id, team.name),
            created=team_id is None,
            source_changed=changed,
            by=by,
            previous=before,
        )


def _require_new(given: dict[str, Any]) -> None:
    if not given.get("name"):
        raise SettingsError({"name": "A new team needs a name, e.g. Marketing."})


def _check(
    session: Session, team: Team, given: dict[str, Any], workspace_id: int, require_source: bool
) -> dict[str, str]:
    """Checks that look at more than one field, or at what is stored."""
    errors: dict[str, str] = {}
    name = given.get("name")
    if name:
        clash = repo.team_named(session=session, workspace_id=workspace_id, name=name)
        if clash is not None and clash.id != team.id:
            errors["name"] = f"There is already a team called {name}; pick another name."
    if given.get("channel") and given.get("usergroup"):
        errors["usergroup"] = "Pick a channel or a user group, not both."
    elif (
        require_source
        and not (given.get("channel") or given.get("usergroup"))
        and not ("usergroup" not in given and team.source_kind is TeamSource.USERGROUP)
    ):
        errors["channel"] = (
            "Pick the channel whose members are the team (or a user group below); "
            "joiners are picked up and leavers stop being asked."
        )
    if require_source and not given.get("owner"):
        errors["owner"] = "Pick the rollout owner: the person who gets the alerts."
    # The roles as they will be: what is stored, with what was given on top. A clash is
    # reported on the field that was given.
    roles: dict[str, str] = {}
    for key, role in ROLE_FIELDS.items():
        user = given[key] if key in given else _holder(session, team, role)
        if user:
            roles[key] = user
    seen: dict[str, str] = {}
    for key, user in sorted(roles.items(), key=lambda kv: kv[0] in given):
        if user in seen:
            errors[key] = (
                f"The same person is already the {ROLE_NAMES[seen[user]]}; each role needs "
                "its own person (leave this empty if one person does both)."
            )
        seen.setdefault(user, key)
    day = given.get("pulse_day", team.pulse_weekday if team.id else 0)
    working = {int(d) for d in (team.working_days or "0,1,2,3,4").split(",") if d}
    if "pulse_day" in given and day not in working:
        errors["pulse_day"] = "Pick a working day (Monday to Friday unless changed)."
    return errors


def _holder(session: Session, team: Team, role: Role) -> str | None:
    if team.id is None:
        return None
    holders = repo.members_with_role(session=session, team_id=team.id, role=role)
    return holders[0].slack_user_id if holders else None


def _apply_team(team: Team, given: dict[str, Any]) -> None:
    simple = {
        "name": "name",
        "rollout_start": "rollout_start",
        "timezone": "timezone",
        "pulse_day": "pulse_weekday",
        "pulse_time": "pulse_time",
        "min_group_size": "min_group_size",
        "office_hours_channel": "office_hours_channel_id",
        "office_hours_day": "office_hours_weekday",
        "office_hours_time": "office_hours_time",
        "office_hours_minutes": "office_hours_minutes",
        "check_in": "check_in_enabled",
        "check_in_day": "check_in_weekday",
        "check_in_time": "check_in_time",
        "pulse": "pulse_enabled",
    }
    for key, column in simple.items():
        if key in given:
            setattr(team, column, given[key])
    if given.get("channel"):
        team.source_kind, team.source_id = TeamSource.CHANNEL, given["channel"]
    elif given.get("usergroup"):
        team.source_kind, team.source_id = TeamSource.USERGROUP, given["usergroup"]
    elif ("channel" in given and team.source_kind is TeamSource.CHANNEL) or (
        "usergroup" in given and team.source_kind is TeamSource.USERGROUP
    ):
        team.source_kind, team.source_id = None, None  # membership is kept by hand from now on


def _apply_tools(session: Session, team: Team, labels: list[str] | None) -> None:
    from atlas.questions import DEFAULT_TOOLS

    wanted = labels if labels is not None else [label for _, label in DEFAULT_TOOLS]
    existing = repo.all_tools(session=session, team_id=team.id)
    for tool in existing.values():
        tool.active = False
    for position, label in enumerate(wanted):
        key = tool_key(label)
        tool = existing.get(key)
        if tool is None:
            tool = TeamTool(team_id=team.id, key=key)
            session.add(tool)
            existing[key] = tool
        tool.label, tool.position, tool.active = label, position, True


ROLE_NAMES = {"owner": "rollout owner", "ai_lead": "AI lead", "sponsor": "executive sponsor"}
ROLE_FIELDS = {"owner": Role.OWNER, "ai_lead": Role.AI_LEAD, "sponsor": Role.EXECUTIVE_SPONSOR}


def _apply_roles(session: Session, team: Team, given: dict[str, Any]) -> None:
    """Named roles are members with that role; the previous holder becomes a plain member."""
    for key, role in ROLE_FIELDS.items():
        if key not in given:
            continue
        user = given[key]
        for holder in repo.members_with_role(session=session, team_id=team.id, role=role):
            if holder.slack_user_id != user:
                holder.role = Role.MEMBER
        if user is None:
            continue
        member = repo.member(session=session, team_id=team.id, slack_user_id=user)
        if member is None:
            member = Member(workspace_id=team.workspace_id, team_id=team.id, slack_user_id=user)
            session.add(member)
        member.role, member.active, member.left_at = role, True, None
        session.flush()


def current(session: Session, team: Team) -> dict[str, Any]:
    """Every setting of a team as typed values (for the modal's initial values and `show`)."""
    roles = {key: _holder(session, team, role) for key, role in ROLE_FIELDS.items()}
    return {
        "name": team.name,
        "channel": team.source_id if team.source_kind is TeamSource.CHANNEL else None,
        "usergroup": team.source_id if team.source_kind is TeamSource.USERGROUP else None,
        **roles,
        "rollout_start": team.rollout_start,
        "timezone": team.timezone,
        "pulse_day": team.pulse_weekday,
        "pulse_time": team.pulse_time,
        "min_group_size": team.min_group_size,
        "tools": [label for _, label in repo.tools(session=session, team_id=team.id)],
        "office_hours_channel": team.office_hours_channel_id,
        "office_hours_day": team.office_hours_weekday,
        "office_hours_time": team.office_hours_time,
        "office_hours_minutes": team.office_hours_minutes,
        "check_in": team.check_in_enabled,
        "check_in_day": team.check_in_weekday,
        "check_in_time": team.check_in_time,
        "pulse": team.pulse_enabled,
    }


def show(value: Any, key: str = "") -> str:
    """One setting as text, the way the CLI would accept it back."""
    if key.endswith("_day") and isinstance(value, int):
        return WEEKDAYS[value]
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def weekday_name(number: int) -> str:
    """0 → "Monday"."""
    return WEEKDAYS[number].capitalize()


# --- around the modal ---------------------------------------------------------------------------
@dataclass(frozen=True)
class AfterSave:
    """What the app learned right after a save: the settings and the member list it read."""

    settings: dict[str, Any]
    people: int | None  # people in the team after reading its channel (None: not read)
    left: int  # people no longer in the channel
    sync_error: str | None  # why the members could not be read
    refused: str | None = None  # why the new channel or user group was not taken (undone)


def authority(caller: Caller, kind: TeamSource, source_id: str, user_id: str) -> str | None:
    """None when this person may make this channel or user group a team, else why not.

    Members of the channel or user group may, and so may workspace admins and owners; anyone
    else would learn its headcount and send its members a pulse they never agreed to.
    """
    from bot.services import membership

    users, report = membership.fetch(caller, kind, source_id)
    if report.ok and user_id in users:
        return None
    info = caller.call("users.info", user=user_id)
    person = ((info.data or {}).get("user") or {}) if info.outcome is Outcome.OK else {}
    if person.get("is_admin") or person.get("is_owner"):
        return None
    where = "user group" if kind is TeamSource.USERGROUP else "channel"
    if not report.ok:
        return (
            f"the app could not read the {where}'s members to check that you are one of them "
            f"({report.error or report.outcome.value}); invite the app or ask a workspace admin"
        )
    return f"you are not a member of that {where}; only its members or a workspace admin can"


def _undo_source(db: Database, saved: SavedTeam) -> None:
    """Take back a source the saver had no right to: drop a new team, restore an old one's."""
    with db.unit_of_work() as session:
        team = repo.get(session=session, team_id=saved.team.id)
        if team is None:
            return
        if saved.created:
            session.delete(team)
        else:
            team.source_kind, team.source_id = saved.previous


def after_save(
    *, db: Database, caller: Caller, team_id: int, now: datetime, saved: SavedTeam | None = None
) -> AfterSave:
    """Check the saver may use the new channel or user group, read it, then the settings."""
    from bot.services import membership

    with db.unit_of_work() as session:
        team = repo.get(session=session, team_id=team_id)
        has_source = team.source_id is not None
        source = (team.source_kind, team.source_id)
    if saved is not None and saved.source_changed and saved.by and has_source:
        refused = authority(caller, source[0], source[1], saved.by)
        if refused is not None:
            _undo_source(db, saved)
            with db.unit_of_work() as session:
                team = repo.get(session=session, team_id=team_id)
                settings = current(session, team) if team is not None else {}
            return AfterSave(settings, None, 0, None, refused=refused)
    people, left, error = None, 0, None
    if has_source:
        report = membership.sync(db=db, team_id=team_id, caller=caller, now=now)
        if report.ok:
            left = len(report.removed)
        else:
            error = report.error or report.outcome.value
    with db.unit_of_work() as session:
        if has_source and error is None:
            people = len(repo.active_members(session=session, team_id=team_id))
        return AfterSave(
            current(session, repo.get(session=session, team_id=team_id)), people, left, error
        )


def settings_of(*, db: Database, team_id: int) -> dict[str, Any]:
    """A team's settings as typed values (the modal's initial values)."""
    with db.unit_of_work() as session:
        return current(session, repo.get(session=session, team_id=team_id))


def editable(*, db: Database, slack_team_id: str, user_id: str) -> list[tuple[int, str]]:
    """Teams this person may change: those they own or administer, and those they set up."""
    from bot.services import owner

    teams = dict(owner.owned(db=db, slack_team_id=slack_team_id, user_id=user_id))
    info = workspaces.ensure(db=db, slack_team_id=slack_team_id)
    with db.unit_of_work() as session:
        for team in repo.workspace_teams(session=session, workspace_id=info.id):
            if team.configured_by == user_id:
                teams.setdefault(team.id, team.name)
    return sorted(teams.items(), key=lambda t: t[1].casefold())
