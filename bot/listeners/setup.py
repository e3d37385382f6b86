"""`/atlas setup` and the "Set up" buttons: the setup modal, its checks, and what follows a save."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from atlas.questions import DEFAULT_TOOLS
from bot.blocks import member
from bot.blocks import setup as blocks
from bot.blocks.common import Message, error_modal, quote_user_text, read_inputs
from bot.context import AppContext
from bot.ids import COMMAND, ActionId, CallbackId
from bot.listeners import home
from bot.listeners.guard import guarded, not_held
from bot.outbound import Outcome
from bot.payloads import SetupMeta, decode_id
from bot.services import setup

log = logging.getLogger(__name__)

FILL_IN_WITHIN_SECONDS = 20  # after that, an update could undo what the person typed


def register(app: App) -> None:
    """Attach the setup button and the modal's submission."""
    app.action(ActionId.SETUP_OPEN)(guarded(on_button))
    app.view(CallbackId.SETUP)(guarded(on_submit))


def on_button(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, ctx: AppContext
) -> None:
    """ "Set up a team" / "Edit setup" from the Home tab or a message."""
    not_held(ctx)
    ack()
    user = (body.get("user") or {}).get("id", "")
    team_id = decode_id(action.get("value"))
    open_modal(ctx, client, body.get("trigger_id", ""), _team(body), user, team_id=team_id)


def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], ctx: AppContext) -> None:
    """Check every field; errors stay in the modal, a valid form saves all or nothing."""
    user = (body.get("user") or {}).get("id", "")
    slack_team = _team(body)
    team_id = SetupMeta.decode(view.get("private_metadata")).team_id
    values = (view.get("state") or {}).get("values") or {}
    present = set(values)
    if team_id is not None and not can_edit(ctx, slack_team, user, team_id):
        ack(response_action="errors", errors={"name": "Only the team's owner can change it."})
        return
    try:
        settings = setup.read(read_inputs(values), today=ctx.clock().date())
        saved = setup.save(
            db=ctx.db,
            slack_team_id=slack_team,
            settings=settings,
            team_id=team_id,
            by=user,
            require_source=True,
            now=ctx.clock(),
        )
    except setup.SettingsError as exc:
        ack(response_action="errors", errors=_on_screen(exc.errors, present))
        return
    ack()
    # Reading the channel's members may wait on Slack's rate limits: the DM reports the result.
    ctx.background.submit(after_save, ctx, saved, user, slack_team)


def command(ctx: AppContext, ack: Ack, command: dict[str, Any], client: WebClient) -> None:
    """`/atlas setup` edits the team you own (or creates one); `/atlas setup new` adds one."""
    not_held(ctx)
    user, slack_team = command.get("user_id", ""), command.get("team_id", "")
    rest = (command.get("text") or "").split(maxsplit=1)[1:] or [""]
    wanted = rest[0].strip()
    editable = editable_teams(ctx, slack_team, user)
    team_id: int | None = None
    if wanted.casefold() == "new":
        team_id = None
    elif wanted:
        match = [t for t in editable if t[1].casefold() == wanted.casefold()]
        if not match:
            names = ", ".join(name for _, name in editable) or "none yet"
            reply = member.text_reply(
                f"You cannot edit a team called “{quote_user_text(wanted)}”. Teams you can "
                f"edit: {names}. `{COMMAND} setup new` sets up another team."
            )
            ack(response_type="ephemeral", text=reply.text, blocks=reply.blocks)
            return
        team_id = match[0][0]
    elif editable:
        team_id = editable[0][0]
    ack()
    open_modal(ctx, client, command["trigger_id"], slack_team, user, team_id=team_id)


def open_modal(
    ctx: AppContext,
    client: WebClient,
    trigger_id: str,
    slack_team: str,
    user: str,
    *,
    team_id: int | None,
) -> None:
    """Open the modal at once (the trigger lasts 3 s), then fill in what Slack must tell us."""
    if team_id is not None and not can_edit(ctx, slack_team, user, team_id):
        client.views_open(
            trigger_id=trigger_id,
            view=error_modal("Only the team's rollout owner can change its settings."),
        )
        return
    initial = (
        setup.settings_of(db=ctx.db, team_id=team_id)
        if team_id is not None
        else {"owner": user, "tools": [label for _, label in DEFAULT_TOOLS]}
    )
    opened = client.views_open(
        trigger_id=trigger_id,
        view=blocks.setup_modal(initial=initial, team_id=team_id, usergroups=None),
    )
    view = opened.get("view") or {}
    # Worth doing only while the person is still looking at a fresh modal.
    ctx.background.submit(
        _fill_in, ctx, view, initial, user, team_id=team_id, expires_after=FILL_IN_WITHIN_SECONDS
    )


def _fill_in(
    ctx: AppContext,
    view: dict[str, Any],
    initial: dict[str, Any],
    user: str,
    *,
    team_id: int | None,
) -> None:
    """What the open modal needs from Slack: a new team's zone (the person's) and user groups."""
    update = False
    if team_id is None:
        zone = _user_zone(ctx, user)
        if zone:
            initial["timezone"], update = zone, True
    groups = _usergroups(ctx)
    if groups:
        update = True
    if update:
        result = ctx.caller.call(
            "views.update",
            view_id=view.get("id"),
            hash=view.get("hash"),
            view=blocks.setup_modal(initial=initial, team_id=team_id, usergroups=groups),
        )
        if result.outcome is not Outcome.OK:  # e.g. hash_conflict: the person typed already
            log.info("the setup modal was not filled in: %s", result.error)


def after_save(ctx: AppContext, saved: setup.SavedTeam, user: str, slack_team: str) -> None:
    """Pick up the channel's members, then tell the person what is now set."""
    done = setup.after_save(
        db=ctx.db, caller=ctx.caller, team_id=saved.team.id, now=ctx.clock(), saved=saved
    )
    if done.refused is not None:
        _dm(ctx, user, blocks.source_refused(saved.team.name, saved.created, done.refused))
        home.refresh(ctx, slack_team_id=slack_team, user_id=user)
        return
    message = blocks.saved(
        name=saved.team.name,
        created=saved.created,
        settings=done.settings,
        synced=(done.people, done.left) if done.people is not None else None,
        sync_error=done.sync_error,
    )
    _dm(ctx, user, message)
    home.refresh(ctx, slack_team_id=slack_team, user_id=user)  # it now shows the team


def _dm(ctx: AppContext, user: str, message: Message) -> None:
    result = ctx.caller.call(
        "chat.postMessage", channel=user, text=message.text, blocks=message.blocks
    )
    if result.outcome is not Outcome.OK:
        log.warning("could not confirm the setup to %s: %s", user, result.error)


def editable_teams(ctx: AppContext, slack_team: str, user: str) -> list[tuple[int, str]]:
    """Teams this person may change."""
    return setup.editable(db=ctx.db, slack_team_id=slack_team, user_id=user)


def can_edit(ctx: AppContext, slack_team: str, user: str, team_id: int) -> bool:
    """Whether this person may change this team."""
    return any(t == team_id for t, _ in editable_teams(ctx, slack_team, user))


def _user_zone(ctx: AppContext, user: str) -> str | None:
    result = ctx.caller.call("users.info", user=user)
    if result.outcome is not Outcome.OK:
        return None
    return ((result.data or {}).get("user") or {}).get("tz") or None


def _usergroups(ctx: AppContext) -> list[tuple[str, str]] | None:
    result = ctx.caller.call("usergroups.list", include_disabled=False)
    if result.outcome is not Outcome.OK:
        return None  # e.g. the scope is missing: the channel is the way to pick the team
    groups = (result.data or {}).get("usergroups") or []
    return [
        (g["id"], f"@{g.get('handle') or g.get('name') or g['id']}")
        for g in groups
        if g.get("id") and not g.get("date_delete")
    ]


def _team(body: dict[str, Any]) -> str:
    return (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id", "")


def _on_screen(errors: dict[str, str], present: set[str]) -> dict[str, str]:
    """Errors keyed by a block that is in the modal (Slack rejects unknown block ids)."""
    shown: dict[str, str] = {}
    for field_name, message in errors.items():
        block = field_name if field_name in present else "name"
        shown[block] = f"{shown[block]} {message}" if block in shown else message
    return shown
