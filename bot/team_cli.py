"""`atlas-bot team …`: every team setting from the command line, for scripted installs.

The same checks as the setup modal (bot/services/setup.py): a refused value prints what is wrong
with which flag, exits 2, and saves nothing.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bot.services import setup
from bot.settings import Settings

# Setting → its flag. Every setting of the modal has one.
FLAGS = {name: "--" + name.replace("_", "-") for name in setup.FIELDS if name != "name"}
ROLES = {"member": "member", "owner": "owner", "ai-lead": "ai_lead", "sponsor": "executive_sponsor"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `team` and its actions."""
    team = sub.add_parser("team", help="create, configure and show teams (scripted installs)")
    actions = team.add_subparsers(dest="team_command", required=True, metavar="ACTION")

    actions.add_parser("list", help="every team, one line each")

    show = actions.add_parser("show", help="a team's settings, members and workflows")
    show.add_argument("team", help="the team's id or name")

    create = actions.add_parser("create", help="set up a new team")
    create.add_argument("name", help="the team's name, e.g. Marketing")
    create.add_argument("--workspace", help="Slack team id (T…); needed with several workspaces")
    _setting_flags(create)

    change = actions.add_parser("set", help="change a team's settings")
    change.add_argument("team", help="the team's id or name")
    change.add_argument("--name", help="rename the team")
    _setting_flags(change)

    add = actions.add_parser("add-member", help="add people by hand (teams without a channel)")
    add.add_argument("team")
    add.add_argument("users", nargs="+", help="Slack user ids (U…)")
    add.add_argument("--role", choices=sorted(ROLES), default="member")

    remove = actions.add_parser("remove-member", help="stop asking people (history stays)")
    remove.add_argument("team")
    remove.add_argument("users", nargs="+")

    holidays = actions.add_parser("holidays", help="replace the team's holiday list")
    holidays.add_argument("team")
    holidays.add_argument(
        "days", nargs="*", help="YYYY-MM-DD or YYYY-MM-DD=Name; none clears the list"
    )

    questions = actions.add_parser("questions", help="switch pulse questions off or on")
    questions.add_argument("team")
    questions.add_argument("--off", nargs="*", default=[], metavar="QUESTION")
    questions.add_argument("--on", nargs="*", default=[], metavar="QUESTION")

    sync = actions.add_parser("sync", help="read the channel's or user group's members now")
    sync.add_argument("team")

    export = actions.add_parser("export", help="weekly aggregates as CSV (minimum group size kept)")
    export.add_argument("team")
    export.add_argument("--out", type=Path, help="write to this file instead of standard output")


def _setting_flags(parser: argparse.ArgumentParser) -> None:
    helps = {
        "channel": "the team's channel id (C…); membership follows it ('-' clears)",
        "usergroup": "or a user group id (S…)",
        "owner": "the rollout owner's user id (U…)",
        "ai_lead": "the AI lead's user id ('-' clears)",
        "sponsor": "the executive sponsor's user id, e.g. the CEO ('-' clears)",
        "rollout_start": "YYYY-MM-DD",
        "timezone": "IANA zone of the team, e.g. Europe/Berlin",
        "pulse_day": "monday … sunday (a working day)",
        "pulse_time": "HH:MM in each person's own zone",
        "min_group_size": "3 to 10: fewer respondents show no numbers",
        "tools": "comma-separated, e.g. 'ChatGPT, Claude, Copilot'",
        "office_hours_channel": "channel id for office hours ('-' turns them off)",
        "office_hours_day": "monday … sunday",
        "office_hours_time": "HH:MM in the team's zone",
        "office_hours_minutes": "length in minutes (15 to 240)",
        "check_in": "on or off: the owner's weekly check-in DM",
        "check_in_day": "monday … sunday",
        "check_in_time": "HH:MM in the team's zone",
        "pulse": "on or off",
    }
    for name, flag in FLAGS.items():
        parser.add_argument(flag, dest=f"set_{name}", metavar="VALUE", help=helps.get(name))


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Carry out one `team` action; 0 on success, 1 when Slack refused a member sync, 2 on
    refused input or a database or Slack the operator has to fix first."""
    from bot import operator_errors
    from bot.storage.db import Database

    db: Database | None = None
    try:
        db = Database.from_url(settings.database_url, secret_key=settings.secret_key)
        return _ACTIONS[args.team_command](db, settings, args)
    except CliError as exc:
        print(f"atlas-bot team: {exc}", file=sys.stderr)
        return 2
    except setup.SettingsError as exc:
        for name, message in exc.errors.items():
            flag = FLAGS.get(name, "NAME" if name == "name" else name)
            print(f"atlas-bot team: {flag}: {message}", file=sys.stderr)
        print("Nothing was saved.", file=sys.stderr)
        return 2
    except Exception as exc:
        if not operator_errors.report(exc, settings, prog="atlas-bot team"):
            raise
        return 2
    finally:
        if db is not None:
            db.dispose()


class CliError(ValueError):
    """A refused command line, with what would work."""


def _now() -> datetime:
    return datetime.now(UTC)


def _raw(args: argparse.Namespace) -> dict[str, str | None]:
    raw = {name: getattr(args, f"set_{name}") for name in FLAGS}
    raw = {k: v for k, v in raw.items() if v is not None}
    if getattr(args, "name", None) is not None:
        raw["name"] = args.name
    return raw


def _resolve(db: Any, text: str) -> tuple[int, str, str]:
    """(team id, name, Slack team id) from an id or a name."""
    from bot.storage import teams as repo

    with db.unit_of_work() as session:
        rows = repo.every_team(session=session)
        if text.isascii() and text.isdigit():
            found = [(t, w) for t, w in rows if t.id == int(text)]
        else:
            found = [(t, w) for t, w in rows if t.name.casefold() == text.strip().casefold()]
        if not found:
            names = ", ".join(sorted(t.name for t, _ in rows)) or "none yet"
            raise CliError(f"no team {text!r}. Teams: {names}. `atlas-bot team list` shows ids.")
        if len(found) > 1:
            raise CliError(f"{len(found)} teams are called {text!r}; use the id instead.")
        team, workspace = found[0]
        return team.id, team.name, workspace


def _workspace(db: Any, settings: Settings, given: str | None) -> str:
    from bot.storage import workspaces as workspace_repo

    if given:
        return given
    with db.unit_of_work() as session:
        known = workspace_repo.active_slack_ids(session=session)
    if len(known) == 1:
        return known[0]
    if not known and settings.slack_bot_token is not None:
        from bot.app import make_web_client
        from bot.services import workspaces

        # One try: on failure the command says why at once, and the operator runs it again.
        token = settings.slack_bot_token.get_secret_value()
        me = make_web_client(settings, token, retries=False).auth_test()
        workspaces.ensure(  # with the app's own user id, which a channel sync leaves out
            db=db,
            slack_team_id=me["team_id"],
            name=me.get("team"),
            bot_user_id=me.get("user_id"),
            bot_id=me.get("bot_id"),
        )
        return str(me["team_id"])
    raise CliError(
        "pass --workspace T… (the Slack team id): "
        + ("several workspaces are known." if known else "no workspace is known yet.")
    )


def _list(db: Any, settings: Settings, args: argparse.Namespace) -> int:
    from bot.storage import teams as repo

    with db.unit_of_work() as session:
        teams = [team for team, _ in repo.every_team(session=session)]
        if not teams:
            print("No teams yet. `atlas-bot team create NAME --channel C…` sets one up.")
        for team in teams:
            members = len(repo.active_members(session=session, team_id=team.id))
            source = f"{team.source_kind.value} {team.source_id}" if team.source_kind else "by hand"
            print(f"{team.id:>4}  {team.name}  ({members} members; {source})")
    return 0


def _show(db: Any, settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import workflows
    from bot.storage import teams as repo
    from bot.storage.models import Team

    team_id, name, workspace = _resolve(db, args.team)
    with db.unit_of_work() as session:
        team = session.get(Team, team_id)
        values = setup.current(session, team)
        members = repo.active_members(session=session, team_id=team_id)
        holidays = sorted(repo.holidays(session=session, team_id=team_id))
        off = sorted(repo.disabled_questions(session=session, team_id=team_id))
    print(f"Team {team_id}: {name} (workspace {workspace})")
    width = max(len(label) for label in setup.LABELS.values())
    for key, value in values.items():
        flag = FLAGS.get(key, "--name")
        print(f"  {setup.LABELS[key]:<{width}}  {setup.show(value, key):<30} {flag}")
    print(f"  {'Members':<{width}}  {len(members)} active")
    print(f"  {'Holidays':<{width}}  {', '.join(d.isoformat() for d in holidays) or '-'}")
    print(f"  {'Questions off':<{width}}  {', '.join(off) or '-'}")
    listed = workflows.listing(db=db, team_id=team_id)
    print(f"Workflows ({len(listed)}):")
    for w in listed:
        shipped = w.shipped_on.isoformat() if w.shipped_on else "not shipped"
        before = "-" if w.minutes_before is None else w.minutes_before
        after = "-" if w.minutes_after is None else w.minutes_after
        print(f"  {w.name}: owner {w.owner or '-'}, {shipped}, minutes {before} → {after}")
    return 0


def _create(db: Any, settings: Settings, args: argparse.Namespace) -> int:
    workspace = _workspace(db, settings, args.workspace)
    raw = {"name": args.name, **_raw(args)}
    values = setup.read(raw, today=_now().date())
    saved = setup.save(db=db, slack_team_id=workspace, settings=values, by=None)
    print(f"team {saved.team.id} created: {saved.team.name}")
    return _after(db, settings, saved)


def _set(db: Any, settings: Settings, args: argparse.Namespace) -> int:
    team_id, _, workspace = _resolve(db, args.team)
    raw = _raw(args)
    if not raw:
        raise CliError("nothing to change; `atlas-bot team set --help` lists the settings.")
    values = setup.read(raw, today=_now().date())
    saved = setup.save(db=db, slack_team_id=workspace, settings=values, team_id=team_id)
    print(f"team {team_id} saved: {', '.join(setup.LABELS[k].lower() for k in raw)}")
    return _after(db, settings, saved)


def _after(db: Any, settings: Settings, saved: setup.SavedTeam) -> int:
    # The team stays saved whatever happens here; only a token Slack refuses fails the command
    # (a channel the app cannot read yet is usual in a scripted install, and is reported).
    if saved.source_changed:
        if settings.slack_bot_token is None:
            print("Members are read from Slack when the scheduler next runs (no token here).")
        elif _sync_now(db, settings, saved.team.id) == 2:
            return 2
    return 0


def _sync_now(db: Any, settings: Settings, team_id: int) -> int:
    from bot import operator_errors
    from bot.app import make_web_client
    from bot.outbound import Caller
    from bot.services import membership

    settings.require("SLACK_BOT_TOKEN")
    token = settings.slack_bot_token
    assert token is not None
    caller = Caller(make_web_client(settings, token.get_secret_value(), retries=False))
    report = membership.sync(db=db, team_id=team_id, caller=caller, now=_now())
    if not report.ok:
        refused = operator_errors.token_refused(report.error or "")
        if refused is not None:
            print(f"atlas-bot team: could not read the members. {refused}", file=sys.stderr)
            return 2
        print(f"could not read the members: {report.error}", file=sys.stderr)
        return 1
    print(f"members: {len(report.added)} joined, {len(report.removed)} left, {report.kept} kept")
    return 0


def _sync(db: Any, settings: Settings, args: argparse.Namespace) -> int:
    team_id, _, _ = _resolve(db, args.team)
    return _sync_now(db, settings, team_id)


def _add_member(db: Any, settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import teams
    from bot.storage.models import Role

    team_id, name, _ = _resolve(db, args.team)
    reader = setup.Reader(today=_now().date())
    users = [reader._user(u) if _is_user(u) else None for u in args.users]
    if None in users:
        bad = [u for u, ok in zip(args.users, users, strict=True) if ok is None]
        raise CliError(f"not Slack user ids: {', '.join(bad)} (they look like U012ABC).")
    role = Role(ROLES[args.role])
    for user in users:
        teams.add_member(db=db, team_id=team_id, slack_user_id=user, role=role)
    print(f"{len(users)} added to {name} as {args.role}")
    return 0


def _is_user(text: str) -> bool:
    try:
        return setup.Reader(today=date.today())._user(text) is not None
    except ValueError:
        return False


def _remove_member(db: Any, settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import teams

    team_id, name, _ = _resolve(db, args.team)
    removed = sum(teams.remove_member(db=db, team_id=team_id, slack_user_id=u) for u in args.users)
    print(f"{removed} removed from {name}; their past answers stay in the history")
    return 0


def _holidays(db: Any, settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import teams

    team_id, name, _ = _resolve(db, args.team)
    days: dict[date, str | None] = {}
    for item in args.days:
        day_text, _, label = item.partition("=")
        try:
            days[date.fromisoformat(day_text.strip())] = label.strip() or None
        except ValueError:
            raise CliError(
                f"{item!r} is not a date like 2026-12-25 or 2026-12-25=Christmas."
            ) from None
    teams.set_holidays(db=db, team_id=team_id, days=days)
    print(f"{name}: {len(days)} holidays")
    return 0


def _questions(db: Any, settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import teams

    team_id, name, _ = _resolve(db, args.team)
    if not args.off and not args.on:
        raise CliError("say which: --off QUESTION… or --on QUESTION…")
    try:
        for question_id in args.off:
            teams.set_question_enabled(
                db=db, team_id=team_id, question_id=question_id, enabled=False
            )
        for question_id in args.on:
            teams.set_question_enabled(
                db=db, team_id=team_id, question_id=question_id, enabled=True
            )
    except teams.TeamError as exc:
        from atlas.questions import QUESTIONS

        raise CliError(f"{exc} Questions: {', '.join(q.id for q in QUESTIONS)}.") from None
    print(f"{name}: saved")
    return 0


def _export(db: Any, settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import export

    team_id, _, _ = _resolve(db, args.team)
    text = export.team_csv(db=db, team_id=team_id, now=_now())
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


_ACTIONS = {
    "list": _list,
    "show": _show,
    "create": _create,
    "set": _set,
    "add-member": _add_member,
    "remove-member": _remove_member,
    "holidays": _holidays,
    "questions": _questions,
    "sync": _sync,
    "export": _export,
}
