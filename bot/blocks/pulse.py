"""The pulse DM: questions as buttons and selects, the current answers, and who sees what."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticMultiSelectElement,
    UserSelectElement,
)

from atlas.diagnosis.model import Notice
from atlas.questions import Kind, Question
from bot.blocks.common import Message, to_dicts, user_text
from bot.ids import COMMAND, ActionId
from bot.payloads import AnswerRef
from bot.services.pulse_view import PulseView
from bot.storage.models import Role

ROLE_NAMES = {Role.AI_LEAD: "AI lead", Role.EXECUTIVE_SPONSOR: "executive sponsor"}
# What the rollout owner sees of the usage answer, per notice.
NOTICE_READS = {
    Notice.AI_LEAD: "as the team's AI lead, how often you use AI",
    Notice.EXECUTIVE_SPONSOR: "as the team's executive sponsor, how often you use AI",
    Notice.WORKFLOW_OWNER: (
        "as the owner of a workflow in the team's registry, whether you use AI at all (not how "
        "often), beside your workflow"
    ),
}


CONFIDENTIAL_NOTE = "Confidential: counted without your name. Once sent it cannot be changed."
CONFIDENTIAL_DONE = (
    "Recorded confidentially: counted without your name, so it cannot be shown or changed."
)
WHAT_HAPPENS = (
    "*What happens with the answers:* they show the rollout owner whether AI use is spreading "
    "and which known failure mode the team may be in, so the rollout gets fixed; nobody is "
    f"rated. `{COMMAND} me` shows what is stored about you; `{COMMAND} pause` for holidays."
)


def _md(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text)


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[_md(text)])


def _when(view: PulseView) -> str:
    return view.closes_local.strftime("%a %-d %b, %H:%M")


def privacy_line(view: PulseView) -> str:
    """Who sees what, in plain words, for this person."""
    base = (
        f"*Who sees what:* the rollout owner sees totals for the team, and only when at least "
        f"{view.min_group_size} people answered. Nobody in the app sees your individual answers"
    )
    role = ROLE_NAMES.get(view.role)
    workflow = (
        " As the owner of a workflow in the team's registry, whether you use AI at all (not "
        "how often) feeds one check the owner sees."
        if view.owns_workflow
        else ""
    )
    if role is None:
        return base + "." + workflow
    return (
        base + f", with one exception: as the team's {role}, your own answer to the usage "
        "question is visible to the owner, because how much you use AI is itself the signal. "
        "Your other answers stay confidential like everyone's." + workflow
    )


def notice_line(view: PulseView) -> str | None:
    """The plain notice under the usage question for a person whose role reads it on its own."""
    if not view.notice:
        return None
    reads = "; and ".join(NOTICE_READS[n] for n in view.notice)
    return (
        "*Read on its own, for your role:* your answer to this question is not only counted in "
        f"the totals. The rollout owner sees it with your name: {reads}. This holds for answers "
        "given while this note is shown; earlier ones are not read this way."
    )


def _question_blocks(view: PulseView, number: int, q: Question) -> list[Block]:
    ref = AnswerRef(view.delivery_id, q.id).encode()
    chosen = view.answers.get(q.id, [])
    done = bool(chosen) or q.id in view.confidential_done
    mark = "  ✓ _saved_" if done else ""
    blocks: list[Block] = [SectionBlock(text=_md(f"*{number}. {q.text}*{mark}"))]
    if q.confidential and q.id in view.confidential_done:
        blocks.append(_context(CONFIDENTIAL_DONE))
        return blocks
    if not view.is_open:
        labels = [o.label for o in q.options if o.key in chosen] or chosen
        if q.kind is Kind.USER and chosen:
            labels = [f"<@{chosen[0]}>"]
        blocks.append(ContextBlock(elements=[_md("Your answer: " + (", ".join(labels) or "—"))]))
        return blocks
    action_id = f"{ActionId.PULSE_ANSWER}.{q.id}"
    if q.kind is Kind.SINGLE:
        buttons = [
            ButtonElement(
                text=o.label,
                value=o.key,
                action_id=f"{action_id}.{o.key}",
                style="primary" if o.key in chosen else None,
            )
            for o in q.options
        ]
        blocks.append(ActionsBlock(block_id=ref, elements=buttons))
    elif q.kind is Kind.MULTI:
        options = [Option(text=o.label, value=o.key) for o in q.options]
        initial = [o for o in options if o.value in chosen] or None
        blocks.append(
            ActionsBlock(
                block_id=ref,
                elements=[
                    StaticMultiSelectElement(
                        action_id=action_id,
                        placeholder="Pick any",
                        options=options,
                        initial_options=initial,
                    )
                ],
            )
        )
    else:
        blocks.append(
            ActionsBlock(
                block_id=ref,
                elements=[
                    UserSelectElement(
                        action_id=action_id,
                        placeholder="Pick a person",
                        initial_user=chosen[0] if chosen else None,
                    )
                ],
            )
        )
    if q.confidential:
        blocks.append(_context(CONFIDENTIAL_NOTE))
    if q.visible_for_named_roles and (notice := notice_line(view)):
        blocks.append(_context(notice))
    return blocks


def pulse_message(view: PulseView) -> Message:
    """The whole pulse DM in its current state."""
    count = len(view.questions)
    if view.is_open:
        intro = (
            f"{count} quick questions for *{user_text(view.team_name)}*, about 30 seconds. Each "
            f"click is saved at once; you can change your answers until {_when(view)}."
        )
    else:
        intro = f"This pulse closed on {_when(view)}. Thank you; these are your answers."
    blocks: list[Block] = [
        HeaderBlock(text="Your weekly AI pulse"),
        SectionBlock(text=_md(intro)),
    ]
    for number, q in enumerate(view.questions, start=1):
        blocks += _question_blocks(view, number, q)
    blocks.append(_context(privacy_line(view)))
    blocks.append(_context(WHAT_HAPPENS))
    text = f"Your weekly AI pulse for {user_text(view.team_name)}: {count} quick questions."
    return Message(text=text, blocks=to_dicts(blocks))


def reminder_message(view: PulseView) -> Message:
    """The one reminder to someone who has not answered."""
    text = (
        f"A gentle reminder: this week's AI pulse for {user_text(view.team_name)} is waiting above "
        f"({len(view.questions)} clicks, about 30 seconds). It closes {_when(view)}."
    )
    return Message(text=text, blocks=to_dicts([SectionBlock(text=_md(text))]))


def missed_rounds_text(team: str, days: str, grace_hours: int) -> str:
    """The owner's note about rounds skipped because the app was down too long."""
    return (
        f"The weekly pulse for *{user_text(team)}* of {days} was not sent: it was more than "
        f"{grace_hours} h late when the app next ran, so it was skipped rather than sent at an "
        "odd time. The next one goes out as scheduled; `/atlas pulse now` sends one today."
    )


def metadata(kind: str, delivery_id: int) -> dict[str, Any]:
    """Message metadata that lets a lost send be found again in the DM's history."""
    return {"event_type": f"atlas_{kind}", "event_payload": {"delivery_id": delivery_id}}
