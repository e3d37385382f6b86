"""The setup modal, what it reads back, and the confirmation after a save."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    ConversationFilter,
    ConversationSelectElement,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    TimePickerElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks.common import INPUT, MAX_BLOCKS_PER_VIEW, Message, escape, to_dicts, user_text
from bot.ids import COMMAND, CallbackId
from bot.parsing import NAME_CHARS, TOOLS_TEXT_CHARS, ZONE_CHARS
from bot.payloads import SetupMeta
from bot.services.setup import WEEKDAYS, weekday_name
from bot.storage.models import MIN_GROUP_SIZE_RANGE

MAX_USERGROUP_OPTIONS = 100  # a static select holds at most 100 options

INTRO = (
    "Adoption Atlas asks the team a short weekly pulse in their DMs and tells the rollout owner "
    "which failure mode of the *Mid-Market AI Failure Atlas* the answers point to. Members see "
    "what the owner can and cannot see in the app's Home tab."
)


def _weekday_options() -> list[Option]:
    return [Option(text=day.capitalize(), value=str(n)) for n, day in enumerate(WEEKDAYS)]


def _weekday_select(initial: int | None) -> StaticSelectElement:
    options = _weekday_options()
    return StaticSelectElement(
        action_id=INPUT,
        options=options,
        initial_option=options[initial] if initial is not None else None,
    )


def _time(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def setup_modal(
    *,
    initial: dict[str, Any],
    team_id: int | None,
    usergroups: list[tuple[str, str]] | None,
) -> dict[str, Any]:
    """The modal for a new team (team_id None) or an existing one, filled with `initial`.

    `usergroups` are the workspace's (id, name) pairs; None when they could not be read, in
    which case the user group field is left out and the channel is the way to pick the team.
    """
    low, high = MIN_GROUP_SIZE_RANGE
    channel_filter = ConversationFilter(include=["public", "private"], exclude_bot_users=True)
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=INTRO)),
        InputBlock(
            block_id="name",
            label="Team name",
            element=PlainTextInputElement(
                action_id=INPUT,
                max_length=NAME_CHARS,
                initial_value=initial.get("name") or None,
                placeholder="e.g. Marketing",
            ),
        ),
        InputBlock(
            block_id="channel",
            label="The team's channel",
            optional=True,
            hint="Everyone in it gets the pulse; joiners are picked up, leavers stop being asked.",
            element=ConversationSelectElement(
                action_id=INPUT,
                initial_conversation=initial.get("channel") or None,
                filter=channel_filter,
                placeholder="Pick a channel",
            ),
        ),
    ]
    if usergroups:
        options = [
            Option(text=name[:75], value=group_id)
            for group_id, name in usergroups[:MAX_USERGROUP_OPTIONS]
        ]
        chosen = next((o for o in options if o.value == initial.get("usergroup")), None)
        blocks.append(
            InputBlock(
                block_id="usergroup",
                label="…or a user group",
                optional=True,
                hint="Use a user group instead of a channel; pick one of the two.",
                element=StaticSelectElement(
                    action_id=INPUT, options=options, initial_option=chosen
                ),
            )
        )
    blocks += [
        InputBlock(
            block_id="owner",
            label="Rollout owner",
            hint="Gets the alerts and the weekly check-in. Sees aggregates only.",
            element=UserSelectElement(action_id=INPUT, initial_user=initial.get("owner") or None),
        ),
        InputBlock(
            block_id="ai_lead",
            label="AI lead",
            optional=True,
            element=UserSelectElement(action_id=INPUT, initial_user=initial.get("ai_lead") or None),
        ),
        InputBlock(
            block_id="sponsor",
            label="Executive sponsor (e.g. the CEO)",
            optional=True,
            element=UserSelectElement(action_id=INPUT, initial_user=initial.get("sponsor") or None),
        ),
        InputBlock(
            block_id="rollout_start",
            label="Rollout start date",
            optional=True,
            hint="Day 30 (first workflow shipped) and later checks count from here.",
            element=DatePickerElement(
                action_id=INPUT,
                initial_date=_iso(initial.get("rollout_start")),
            ),
        ),
        InputBlock(
            block_id="timezone",
            label="Team time zone",
            hint="For the owner's check-in and office hours. The pulse uses each person's own.",
            element=PlainTextInputElement(
                action_id=INPUT,
                max_length=ZONE_CHARS,
                initial_value=initial.get("timezone") or "UTC",
            ),
        ),
        InputBlock(
            block_id="pulse_day",
            label="Pulse day",
            element=_weekday_select(initial.get("pulse_day", 0)),
        ),
        InputBlock(
            block_id="pulse_time",
            label="Pulse time (each person's own time zone)",
            element=TimePickerElement(
                action_id=INPUT, initial_time=_time(initial.get("pulse_time")) or "10:00"
            ),
        ),
        InputBlock(
            block_id="min_group_size",
            label="Minimum group size",
            hint=f"No number is shown for fewer respondents than this ({low} to {high}).",
            element=NumberInputElement(
                action_id=INPUT,
                is_decimal_allowed=False,
                initial_value=str(initial.get("min_group_size") or 5),
                min_value=str(low),
                max_value=str(high),
            ),
        ),
        InputBlock(
            block_id="tools",
            label="The team's AI tools",
            hint="One per line. They become the options of the “which tools” question.",
            element=PlainTextInputElement(
                action_id=INPUT,
                multiline=True,
                max_length=TOOLS_TEXT_CHARS,
                initial_value="\n".join(initial.get("tools") or []) or None,
            ),
        ),
        DividerBlock(),
        SectionBlock(
            text=MarkdownTextObject(
                text="*Office hours* (optional): a weekly reminder in a channel with an RSVP "
                "button, and a nudge 15 minutes before."
            )
        ),
        InputBlock(
            block_id="office_hours_channel",
            label="Office hours channel",
            optional=True,
            hint="Leave empty for no office hours.",
            element=ConversationSelectElement(
                action_id=INPUT,
                initial_conversation=initial.get("office_hours_channel") or None,
                filter=channel_filter,
            ),
        ),
        InputBlock(
            block_id="office_hours_day",
            label="Office hours day",
            element=_weekday_select(initial.get("office_hours_day", 3)),
        ),
        InputBlock(
            block_id="office_hours_time",
            label="Office hours time (team time zone)",
            element=TimePickerElement(
                action_id=INPUT,
                initial_time=_time(initial.get("office_hours_time")) or "15:00",
            ),
        ),
    ]
    if len(blocks) > MAX_BLOCKS_PER_VIEW:
        raise ValueError("setup modal exceeds Slack's block limit")
    view = View(
        type="modal",
        callback_id=CallbackId.SETUP,
        title="Set up Adoption Atlas" if team_id is None else "Team settings",
        submit="Save",
        close="Cancel",
        private_metadata=SetupMeta(team_id).encode(),
        blocks=blocks,
    )
    return view.to_dict()


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def saved(
    *,
    name: str,
    created: bool,
    settings: dict[str, Any],
    synced: tuple[int, int] | None,  # (people in the team now, people who left)
    sync_error: str | None,
) -> Message:
    """The DM to whoever saved the setup: what is now set, and what happens next."""
    verb = "is set up" if created else "settings are saved"
    lines = [f"*{user_text(name)}* {verb}."]
    source = settings.get("channel") or settings.get("usergroup")
    if settings.get("channel"):
        lines.append(f"• Team: everyone in <#{settings['channel']}>")
    elif settings.get("usergroup"):
        lines.append(f"• Team: the user group <!subteam^{settings['usergroup']}>")
    else:
        lines.append("• Team: members are added by hand (`atlas-bot team add-member`)")
    if synced is not None:
        people, left = synced
        note = f"; {left} who left the channel are no longer asked" if left else ""
        lines.append(f"  {people} people in the team now{note}")
    elif source and sync_error:
        lines.append(
            f"  :warning: Could not read its members yet ({escape(sync_error)}). If it is a "
            "private channel, invite the app to it; the next sync tries again."
        )
    roles = (("owner", "Owner"), ("ai_lead", "AI lead"), ("sponsor", "Executive sponsor"))
    for key, label in roles:
        if settings.get(key):
            lines.append(f"• {label}: <@{settings[key]}>")
    pulse_time = _time(settings.get("pulse_time")) or "10:00"
    lines.append(
        f"• Pulse: {weekday_name(settings.get('pulse_day', 0))}s at {pulse_time} in each "
        f"person's own time zone; numbers shown from {settings.get('min_group_size', 5)} "
        "respondents"
    )
    if settings.get("rollout_start"):
        lines.append(f"• Rollout start: {settings['rollout_start'].isoformat()}")
    if settings.get("office_hours_channel"):
        lines.append(
            f"• Office hours: {weekday_name(settings.get('office_hours_day', 3))}s at "
            f"{_time(settings.get('office_hours_time')) or '15:00'} "
            f"({escape(settings.get('timezone') or 'UTC')}) in "
            f"<#{settings['office_hours_channel']}>"
        )
    tools = settings.get("tools") or []
    if tools:
        lines.append(f"• Tools: {', '.join(user_text(t) for t in tools)}")
    blocks = [
        HeaderBlock(text="Adoption Atlas is set up" if created else "Settings saved"),
        SectionBlock(text=MarkdownTextObject(text="\n".join(lines)[:3000])),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"Change anything with `{COMMAND} setup`. Add shipped workflows with "
                    f"`{COMMAND} workflow`. `{COMMAND} status` shows the diagnosis."
                )
            ]
        ),
    ]
    return Message(text=lines[0], blocks=to_dicts(blocks))


def source_refused(name: str, created: bool, reason: str) -> Message:
    """The DM when the saver may not use the channel or user group they picked: undone, and why."""
    undone = "was not set up" if created else "keeps its previous channel or user group"
    text = (
        f"*{user_text(name)}* {undone}: {escape(reason)}. Nobody in it was added or asked "
        f"anything. Pick a channel or user group you are in with `{COMMAND} setup`."
    )
    return Message(text=text, blocks=to_dicts([SectionBlock(text=MarkdownTextObject(text=text))]))
