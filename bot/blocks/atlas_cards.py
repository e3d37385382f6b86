"""Messages about the atlas itself: a mode's card, lists, search results, help."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from atlas.taxonomy import RECOVERY_THRESHOLD, FailureMode, RecoveryStep, Stage
from bot.blocks.common import Message, attribution, quote_user_text, to_dicts
from bot.ids import COMMAND, BlockId


def _md(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text)


def _mode_line(mode: FailureMode) -> str:
    return f"`{mode.id}` {mode.title}"


def _first_sentence(text: str) -> str:
    return text.split(". ")[0].rstrip(".") + "."


def mode_card(mode: FailureMode, stage: Stage, team_note: str | None = None) -> Message:
    """The full card for one failure mode."""
    blocks: list[Block] = [
        HeaderBlock(text=f"{mode.id} · {mode.title}"[:150], block_id=BlockId.MODE_CARD),
        ContextBlock(elements=[_md(f"Stage {stage.number} · {stage.name} ({stage.window})")]),
        SectionBlock(text=_md(mode.description)),
        SectionBlock(text=_md(f"*What it looks like in Slack*\n{mode.in_slack}")),
        SectionBlock(text=_md(f"*First move*\n{mode.first_move}")),
    ]
    if team_note:
        blocks.append(SectionBlock(text=_md(f"*In your team*\n{team_note}")))
    blocks.append(
        ContextBlock(
            elements=[
                _md(
                    f"{RECOVERY_THRESHOLD} or more modes in one stage means recovery is needed: "
                    f"`{COMMAND} recovery`. Other modes in this stage: `{COMMAND} stage "
                    f"{stage.number}`."
                )
            ]
        )
    )
    blocks.append(attribution())
    return Message(text=f"{mode.id} {mode.title}: {mode.description}", blocks=to_dicts(blocks))


def mode_list(groups: list[tuple[Stage, tuple[FailureMode, ...]]], title: str) -> Message:
    """Modes grouped by stage."""
    blocks: list[Block] = [HeaderBlock(text=title)]
    for stage, modes in groups:
        lines = "\n".join(_mode_line(m) for m in modes)
        # One stage: its header already names it, so say what the stage is about instead.
        heading = (
            f"_{stage.summary}_"
            if len(groups) == 1
            else f"*Stage {stage.number} · {stage.name}* ({stage.window})"
        )
        blocks.append(SectionBlock(text=_md(f"{heading}\n{lines}")))
    example = groups[0][1][0].id if groups and groups[0][1] else "2.2"
    blocks.append(ContextBlock(elements=[_md(f"Open one with `{COMMAND} {example}`.")]))
    blocks.append(attribution())
    count = sum(len(m) for _, m in groups)
    return Message(text=f"{title}: {count} failure modes", blocks=to_dicts(blocks))


def search_results(query: str, modes: list[FailureMode]) -> Message:
    """The best matches for a word search."""
    shown = quote_user_text(query)
    lines = "\n".join(
        f"{_mode_line(m)}: {m.description.split('. ')[0].rstrip('.')}." for m in modes
    )
    blocks: list[Block] = [
        SectionBlock(text=_md(f"*Failure modes matching “{shown}”*\n{lines}")),
        ContextBlock(elements=[_md(f"Open one with `{COMMAND} {modes[0].id}`.")]),
        attribution(),
    ]
    noun = "failure mode matches" if len(modes) == 1 else "failure modes match"
    return Message(text=f"{len(modes)} {noun} “{shown}”", blocks=to_dicts(blocks))


def not_found(query: str, suggestions: list[FailureMode], reason: str) -> Message:
    """Nothing matched: say so plainly and offer the likeliest next step."""
    shown = quote_user_text(query)
    subject = f"“{shown}”" if shown else "that"
    text = f"I couldn't find a failure mode for {subject}. {reason}"
    if suggestions:
        ideas = ", ".join(f"`{COMMAND} {m.id}` ({m.title})" for m in suggestions)
        text += f"\n*Did you mean* {ideas}?"
    blocks: list[Block] = [
        SectionBlock(text=_md(text)),
        ContextBlock(
            elements=[
                _md(f"`{COMMAND} list` shows all 25 modes · `{COMMAND} help` shows what I can do")
            ]
        ),
    ]
    if suggestions:  # modes are named, so the atlas is cited
        blocks.append(attribution())
    return Message(text=f"No failure mode matches {subject}.", blocks=to_dicts(blocks))


def recovery_plan(steps: tuple[RecoveryStep, ...]) -> Message:
    """The atlas's recovery pattern."""
    lines = "\n".join(f"{s.number}. *{s.title}.* {s.detail}" for s in steps)
    blocks: list[Block] = [
        HeaderBlock(text="Recovering a stalled rollout"),
        SectionBlock(
            text=_md(
                f"When {RECOVERY_THRESHOLD} or more failure modes from one stage apply, the atlas "
                f"recommends recovery:\n{lines}"
            )
        ),
        attribution(),
    ]
    return Message(text="Recovering a stalled rollout: five steps", blocks=to_dicts(blocks))


def help_message(note: str | None = None) -> Message:
    """What `/atlas` does."""
    commands = [
        (
            f"{COMMAND} 2.2",
            "read one failure mode: what it is, how it shows in Slack, the first move",
        ),
        (f"{COMMAND} list", "all 25 failure modes, by stage"),
        (f"{COMMAND} stage 2", "the modes of one stage (1 to 4)"),
        (f"{COMMAND} leak", "search the modes by words, e.g. ceo, owner, prompts"),
        (f"{COMMAND} recovery", "the five-step way out of a stall"),
        (f"{COMMAND} me", "what is stored about you, with a delete button"),
        (f"{COMMAND} pause [until Dec 24]", "pause your weekly pulse; `resume` turns it back on"),
        (
            f"{COMMAND} status",
            "your team's diagnosis (owners: in full; `status share on` shares a summary)",
        ),
        (f"{COMMAND} check", "rollout owners: the self-assessment for modes no pulse can see"),
        (f"{COMMAND} pulse now", "rollout owners: start this week's pulse today"),
        (f"{COMMAND} help", "this message"),
    ]
    lines = "\n".join(f"`{cmd}` {what}" for cmd, what in commands)
    blocks: list[Block] = []
    if note:
        blocks.append(SectionBlock(text=_md(note)))
    blocks += [
        SectionBlock(
            text=_md(
                "*Adoption Atlas* follows how your team's AI rollout is going and names the "
                "failure mode when it stalls, from the Mid-Market AI Failure Atlas: 25 documented "
                "ways rollouts fail, in 4 stages."
            )
        ),
        DividerBlock(),
        SectionBlock(text=_md(lines)),
        attribution(),
    ]
    return Message(text=f"How to use {COMMAND}", blocks=to_dicts(blocks))


def render(answer: object) -> Message:
    """The reply for any answer from `services.reference.interpret`."""
    from bot.services import reference as r

    match answer:
        case r.ShowMode(mode=mode, stage=stage):
            return mode_card(mode, stage)
        case r.ShowList(title=title, groups=groups):
            return mode_list(groups, title)
        case r.ShowSearch(query=query, modes=modes):
            return search_results(query, modes)
        case r.NotFound(query=query, suggestions=suggestions, reason=reason):
            return not_found(query, suggestions, reason)
        case r.ShowRecovery(steps=steps):
            return recovery_plan(steps)
        case r.ShowHelp(note=note):
            return help_message(note)
    raise TypeError(f"no builder for {type(answer).__name__}")
