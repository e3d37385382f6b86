"""The workflow registry's modal and its listing."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DatePickerElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks.common import INPUT, MAX_BLOCKS_PER_MESSAGE, Message, to_dicts, user_text
from bot.ids import COMMAND, ActionId, CallbackId
from bot.parsing import NAME_CHARS, WORKFLOW_MINUTES
from bot.payloads import WorkflowMeta
from bot.services.workflows import WorkflowView

MAX_LISTED = 15  # three blocks each: well inside a message's 50

INTRO = (
    "A workflow is one piece of real work the team now does with AI, e.g. _first drafts of "
    "client reports_. The before-AI minutes are the baseline: without them nobody can show the "
    "time saved."
)


def workflow_modal(
    *,
    team_id: int | None,
    teams: list[tuple[int, str]],
    workflow: WorkflowView | None,
    default_owner: str | None,
) -> dict[str, Any]:
    """Add (workflow None) or edit a workflow. A team picker shows when the person has several."""
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=INTRO))]
    if workflow is None and len(teams) > 1:
        options = [Option(text=name[:75], value=str(tid)) for tid, name in teams]
        chosen = next((o for o in options if o.value == str(team_id)), options[0])
        blocks.append(
            InputBlock(
                block_id="team",
                label="Team",
                element=StaticSelectElement(
                    action_id=INPUT, options=options, initial_option=chosen
                ),
            )
        )
    blocks += [
        InputBlock(
            block_id="name",
            label="Workflow",
            element=PlainTextInputElement(
                action_id=INPUT,
                max_length=NAME_CHARS,
                initial_value=workflow.name if workflow else None,
                placeholder="e.g. Weekly client report",
            ),
        ),
        InputBlock(
            block_id="owner",
            label="Owner",
            optional=True,
            hint="The person who runs it and keeps it working.",
            element=UserSelectElement(
                action_id=INPUT,
                initial_user=(workflow.owner if workflow else default_owner) or None,
            ),
        ),
        InputBlock(
            block_id="shipped_on",
            label="Shipped (in real use since)",
            optional=True,
            hint="Leave empty while it is still being tried out.",
            element=DatePickerElement(
                action_id=INPUT,
                initial_date=workflow.shipped_on.isoformat()
                if workflow and workflow.shipped_on
                else None,
            ),
        ),
        InputBlock(
            block_id="minutes_before",
            label="Minutes per run before AI (the baseline)",
            optional=True,
            element=_minutes(workflow.minutes_before if workflow else None),
        ),
        InputBlock(
            block_id="minutes_after",
            label="Minutes per run with AI",
            optional=True,
            element=_minutes(workflow.minutes_after if workflow else None),
        ),
    ]
    view = View(
        type="modal",
        callback_id=CallbackId.WORKFLOW,
        title="Edit workflow" if workflow else "Add a workflow",
        submit="Save",
        close="Cancel",
        private_metadata=WorkflowMeta(team_id, workflow.id if workflow else None).encode(),
        blocks=blocks,
    )
    return view.to_dict()


def _minutes(value: int | None) -> NumberInputElement:
    return NumberInputElement(
        action_id=INPUT,
        is_decimal_allowed=False,
        min_value=str(WORKFLOW_MINUTES[0]),
        max_value=str(WORKFLOW_MINUTES[1]),
        initial_value=str(value) if value is not None else None,
    )


def describe(w: WorkflowView) -> str:
    """One line about a workflow."""
    parts = [f"*{user_text(w.name)}*"]
    parts.append(f"owner <@{w.owner}>" if w.owner else "no owner")
    parts.append(f"shipped {w.shipped_on.isoformat()}" if w.shipped_on else "not shipped yet")
    if w.minutes_before is None:
        parts.append(":warning: no baseline")
    elif w.minutes_after is None:
        parts.append(f"{w.minutes_before} min before AI")
    else:
        parts.append(f"{w.minutes_before} → {w.minutes_after} min per run")
    return " · ".join(parts)


def listing(team: str, workflows: list[WorkflowView], editable: set[int]) -> Message:
    """The registry as an ephemeral message, with Edit and Remove on what the person may change."""
    blocks: list[Block] = [HeaderBlock(text=f"Workflows · {team}"[:150])]
    if not workflows:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"Nothing in the registry yet. `{COMMAND} workflow` adds the first one."
                )
            )
        )
    for w in workflows[:MAX_LISTED]:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=describe(w)[:3000])))
        if w.id in editable:
            blocks.append(
                ActionsBlock(
                    elements=[
                        ButtonElement(
                            text="Edit", action_id=ActionId.WORKFLOW_EDIT, value=str(w.id)
                        ),
                        ButtonElement(
                            text="Remove",
                            action_id=ActionId.WORKFLOW_REMOVE,
                            value=str(w.id),
                            confirm=ConfirmObject(
                                title="Remove this workflow?",
                                text=f"{user_text(w.name)} stops counting in the diagnosis. "
                                "You can undo this.",
                                confirm="Remove",
                                deny="Keep it",
                            ),
                        ),
                    ]
                )
            )
    if len(workflows) > MAX_LISTED:
        more = len(workflows) - MAX_LISTED
        blocks.append(_context(f"…and {more} more. `atlas-bot team show` lists them all."))
    shipped = [w for w in workflows if w.shipped_on]
    saved = [w.saved_minutes for w in shipped if w.saved_minutes is not None]
    summary = f"{len(shipped)} of {len(workflows)} shipped"
    if saved:
        summary += f"; measured ones save {sum(saved)} minutes per run in total"
    blocks.append(_context(f"{summary}. `{COMMAND} workflow` adds one."))
    return Message(text=f"Workflows in {team}", blocks=to_dicts(blocks, MAX_BLOCKS_PER_MESSAGE))


def saved(w: WorkflowView, created: bool) -> Message:
    """The ephemeral note after a save."""
    verb = "Added" if created else "Saved"
    text = f"{verb}: {describe(w)}"
    hint = ""
    if w.shipped_on and w.minutes_before is None:
        hint = (
            " Add the minutes it took before AI when you can: without a baseline the time "
            "saved cannot be shown (atlas mode 2.4)."
        )
    blocks = [SectionBlock(text=MarkdownTextObject(text=(text + hint)[:3000]))]
    return Message(text=text, blocks=to_dicts(blocks))


def removed(w: WorkflowView) -> Message:
    """After Remove: what happened, and Undo."""
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"Removed *{user_text(w.name)}* from the registry; it no longer counts."
            ),
            accessory=ButtonElement(text="Undo", action_id=ActionId.WORKFLOW_UNDO, value=str(w.id)),
        )
    ]
    return Message(text=f"Removed {user_text(w.name)}", blocks=to_dicts(blocks))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def named_owner(workflow: WorkflowView, *, by: str) -> str:
    """The DM to a person someone else named as a workflow's owner."""
    return (
        f"<@{by}> named you the owner of the workflow “{user_text(workflow.name)}” in your "
        "team's AI registry. From your next pulse on, your answer to how often you use AI is read "
        "on its own for this role: the rollout owner sees whether the people who own workflows "
        "use AI. Your pulse says so before you answer, and answers you gave before are not read "
        f"this way. If you are not its owner, ask <@{by}> or the team's owner to change it "
        f"(`{COMMAND} workflow edit {user_text(workflow.name)}`)."
    )
