"""Messages about a team's diagnosis: alerts, clears, recovery, the digest, status, the check."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from atlas.diagnosis.model import Cadence, Diagnosis, Finding, RecoveryCheck, Source, Status
from atlas.lookup import all_modes
from atlas.modes import RECOVERY_STEPS
from atlas.taxonomy import FailureMode, Stage
from bot.blocks.common import (
    MAX_BLOCKS_PER_VIEW,
    Message,
    attribution,
    escape,
    to_dicts,
    user_text,
)
from bot.ids import COMMAND, ActionId, CallbackId
from bot.parsing import NOTE_CHARS, clean_line
from bot.payloads import CheckMeta

RECOVERY_DAYS = 60
CHECK_INTRO = (
    "Tick what honestly applies to the rollout now. Modes no pulse can observe come only from "
    "here, and your marks count in the diagnosis. For stages 1 and 2, note what you are doing "
    "to avoid each one (a pre-mortem)."
)
STATUS_WORDS = {
    Status.DETECTED: "detected",
    Status.WATCH: "watch",
    Status.CLEARED: "cleared",
    Status.OK: "clear",
    Status.NOT_ENOUGH_DATA: "not enough data",
}


def _md(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text)


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[_md(text)])


def _facts(finding: Finding) -> str:
    parts = [f"Sample: {finding.sample}", f"confidence {finding.confidence:.0%}"]
    if finding.since:
        parts.append(f"since {finding.since:%a %-d %b}")
    parts.append(
        "source: your self-assessment"
        if finding.source is Source.SELF_ASSESSMENT
        else "source: pulse signals"
    )
    return " · ".join(parts)


def alert(
    team: str, mode: FailureMode, stage: Stage, finding: Finding, finding_id: int, *, worse: bool
) -> Message:
    """The owner's DM when a mode becomes detected (or gets worse)."""
    verb = "is getting worse" if worse else "detected"
    blocks: list[Block] = [
        HeaderBlock(text=f"{mode.id} · {mode.title}"[:150]),
        SectionBlock(
            text=_md(
                f"*{user_text(team)}*: failure mode {mode.id} {verb} "
                f"(stage {stage.number}, {stage.name}).\n{escape(finding.evidence)}"
            )
        ),
        _context(_facts(finding)),
    ]
    if finding.individual:
        blocks.append(
            _context(
                "This uses the named role's own usage answers; their pulse tells "
                "them the owner can see these."
            )
        )
    blocks += [
        SectionBlock(text=_md(f"*First move*\n{mode.first_move}")),
        ActionsBlock(elements=_alert_buttons(finding_id)),
        attribution(),
    ]
    text = (
        f"{user_text(team)}: failure mode {mode.id} ({mode.title}) {verb}. "
        f"{escape(finding.evidence)}"
    )
    return Message(text=text[:3000], blocks=to_dicts(blocks))


def _alert_buttons(finding_id: int) -> list[ButtonElement]:
    value = str(finding_id)
    return [
        ButtonElement(
            text="Acknowledge", action_id=ActionId.FINDING_ACK, value=value, style="primary"
        ),
        ButtonElement(text="Snooze 2 weeks", action_id=ActionId.FINDING_SNOOZE, value=value),
        ButtonElement(
            text="Not applicable",
            action_id=ActionId.FINDING_NOT_APPLICABLE,
            value=value,
            confirm=ConfirmObject(
                title="Not applicable?",
                text="This mode will not be alerted for this team again. You can undo it.",
                confirm="Not applicable",
                deny="Keep alerting",
            ),
        ),
    ]


def alert_after_action(
    original: list[dict[str, Any]], note: str, finding_id: int, *, undo: bool
) -> list[dict[str, Any]]:
    """The alert with its buttons replaced by what was done (and an undo where it matters)."""
    kept = [b for b in original if b.get("type") != "actions"]
    extra: list[Block] = [_context(note)]
    if undo:
        extra.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Undo", action_id=ActionId.FINDING_UNDO, value=str(finding_id)
                    )
                ]
            )
        )
    return kept[:-1] + to_dicts(extra) + kept[-1:]


def cleared(team: str, mode: FailureMode, evidence: str) -> Message:
    """A short note when a detected mode clears."""
    text = (
        f"*{user_text(team)}*: failure mode {mode.id} ({mode.title}) has cleared. "
        f"{escape(evidence)}"
    )
    return Message(text=text, blocks=to_dicts([SectionBlock(text=_md(text))]))


def recovery_opened(team: str, diagnosis: Diagnosis, opened_on: date) -> Message:
    """Two or more modes in one stage: the recovery plan and its 60-day window."""
    stages = ", ".join(str(s) for s in diagnosis.recovery_stages)
    steps = "\n".join(f"{s.number}. *{s.title}.* {s.detail}" for s in RECOVERY_STEPS)
    text = (
        f"*{user_text(team)}* has two or more failure modes detected in stage {stages}: the "
        f"atlas says recovery is needed. A {RECOVERY_DAYS}-day recovery window starts today "
        f"({opened_on:%-d %b}); on day {RECOVERY_DAYS} you will hear whether the signals "
        f"improved.\n{steps}"
    )
    blocks: list[Block] = [
        HeaderBlock(text="Recovery needed"),
        SectionBlock(text=_md(text)),
        attribution(),
    ]
    return Message(text=f"{user_text(team)}: recovery needed", blocks=to_dicts(blocks))


def recovery_checked(team: str, check: RecoveryCheck) -> Message:
    """The day-60 verdict."""
    text = f"*{user_text(team)}*, recovery window day {check.day}: {check.summary}"
    if check.next_step:
        text += f"\n*Next step:* {check.next_step}"
    return Message(text=text, blocks=to_dicts([SectionBlock(text=_md(text)), attribution()]))


def _line(finding: Finding, title: str) -> str:
    return f"`{finding.mode_id}` *{title}*: {escape(finding.evidence)}"


def status(
    team: str,
    diagnosis: Diagnosis,
    *,
    member_count: int,
    min_group_size: int,
    recovery_day: int | None,
) -> Message:
    """The full diagnosis, by stage, for the owner (also the weekly digest)."""
    titles = {m.id: m.title for m in all_modes()}
    floor_note = None
    if member_count < min_group_size:
        floor_note = (
            f"The team has {member_count} members, below its minimum group size of "
            f"{min_group_size}, so no aggregate is shown or alerted on."
        )
    blocks: list[Block] = [HeaderBlock(text=f"Diagnosis: {team}"[:150])]
    if floor_note:
        blocks.append(SectionBlock(text=_md(floor_note)))
    detected = diagnosis.detected()
    watch = [f for f in diagnosis.findings if f.status is Status.WATCH]
    if not detected and not watch:
        blocks.append(SectionBlock(text=_md("No failure mode is detected or on watch.")))
    for stage_number in sorted({f.stage for f in (*detected, *watch)}):
        lines = [_line(f, titles[f.mode_id]) for f in detected if f.stage == stage_number]
        lines += [
            "_watch_ " + _line(f, titles[f.mode_id]) for f in watch if f.stage == stage_number
        ]
        section = f"*Stage {stage_number}*\n" + "\n".join(lines)
        blocks.append(SectionBlock(text=_md(section[:3000])))
    if diagnosis.recovery_needed:
        left = f" · day {recovery_day} of {RECOVERY_DAYS}" if recovery_day is not None else ""
        blocks.append(
            _context(
                f"Recovery needed (stage "
                f"{', '.join(map(str, diagnosis.recovery_stages))}){left}: "
                f"`{COMMAND} recovery` shows the steps."
            )
        )
    if diagnosis.cadence is not None and (diagnosis.recovery_needed or recovery_day is not None):
        blocks.append(_context(cadence_line(diagnosis.cadence)))
    thin = sum(1 for f in diagnosis.findings if f.status is Status.NOT_ENOUGH_DATA)
    blocks.append(
        _context(
            f"{len(detected)} detected · {len(watch)} on watch · {thin} without "
            f"enough data yet. `{COMMAND} check` marks modes no pulse can see."
        )
    )
    blocks.append(attribution())
    return Message(
        text=f"Diagnosis for {user_text(team)}: {len(detected)} detected",
        blocks=to_dicts(blocks[:50]),
    )


def cadence_line(cadence: Cadence) -> str:
    """Recovery step 4 in one line: is the weekly rhythm back?"""
    step = RECOVERY_STEPS[3]
    return f"*Step {step.number}, {step.title.lower()}.* {cadence.summary}"


def summary(team: str, diagnosis: Diagnosis) -> Message:
    """What others see when the owner shares the summary: counts by stage, no evidence."""
    detected = diagnosis.detected()
    by_stage: dict[int, int] = {}
    for f in detected:
        by_stage[f.stage] = by_stage.get(f.stage, 0) + 1
    parts = [f"stage {s}: {n}" for s, n in sorted(by_stage.items())] or ["none detected"]
    text = f"*{user_text(team)}* failure modes detected: {', '.join(parts)}."
    if diagnosis.recovery_needed:
        text += " The team is in recovery."
    return Message(text=text, blocks=to_dicts([SectionBlock(text=_md(text)), attribution()]))


def not_yet(team: str) -> Message:
    """Before the first diagnosis run."""
    text = (
        f"*{user_text(team)}* has no diagnosis yet: it runs when each weekly pulse closes "
        "(or with `atlas-bot diagnose`)."
    )
    return Message(text=text, blocks=to_dicts([SectionBlock(text=_md(text))]))


def not_shared(team: str) -> Message:
    """For people other than the owner when the summary is not shared."""
    text = (
        f"The rollout owner of *{user_text(team)}* has not shared the diagnosis summary. "
        f"`{COMMAND} me` shows your own answers."
    )
    return Message(text=text, blocks=to_dicts([SectionBlock(text=_md(text))]))


def team_note(team: str, finding: Finding) -> str | None:
    """The "in your team" line of a mode card for the owner of `team`.

    Evidence may quote what members typed (a workflow's name): it is escaped like all of it.
    """
    evidence = escape(finding.evidence)
    if finding.status is Status.DETECTED:
        since = f" since {finding.since:%a %-d %b}" if finding.since else ""
        note = f"Detected{since} because {evidence[0].lower()}{evidence[1:]}"
    elif finding.status is Status.WATCH:
        note = f"On watch: {evidence}"
    else:
        return None
    return f"*{user_text(team)}*: {note}"


def check_modal(
    team_id: int,
    team: str,
    stages: list[tuple[Stage, list[FailureMode]]],
    marked: dict[str, tuple[bool, str]],
) -> dict[str, Any]:
    """The self-assessment: tick the modes that apply; a pre-mortem note for stages 1 and 2."""
    blocks: list[Block] = [SectionBlock(text=_md(CHECK_INTRO))]
    for stage, modes in stages:
        options = [Option(text=f"{m.id} {m.title}"[:75], value=m.id) for m in modes]
        initial = [o for o in options if marked.get(o.value, (False, ""))[0]] or None
        blocks.append(
            InputBlock(
                block_id=f"stage_{stage.number}",
                optional=True,
                label=f"Stage {stage.number}: {stage.name}"[:2000],
                element=CheckboxesElement(
                    action_id="marks", options=options, initial_options=initial
                ),
            )
        )
    blocks.append(DividerBlock())
    for stage, modes in stages:
        if stage.number > 2:
            continue
        for mode in modes:
            blocks.append(
                InputBlock(
                    block_id=f"note_{mode.id}",
                    optional=True,
                    label=f"{mode.id} {mode.title}: how are we avoiding it?"[:2000],
                    element=PlainTextInputElement(
                        action_id="note",
                        multiline=False,
                        max_length=NOTE_CHARS,
                        initial_value=marked.get(mode.id, (False, ""))[1] or None,
                    ),
                )
            )
    if len(blocks) > MAX_BLOCKS_PER_VIEW:
        raise ValueError("check modal exceeds Slack's block limit")
    view = View(
        type="modal",
        callback_id=CallbackId.CHECK,
        title="Self-assessment",
        submit="Save",
        close="Cancel",
        private_metadata=CheckMeta(team_id).encode(),
        blocks=blocks,
    )
    return view.to_dict()


def parse_check(values: dict[str, Any]) -> tuple[set[str], dict[str, str]]:
    """(the ticked mode ids, notes by mode id) from a check modal's state values.

    Parts of another shape than Slack's read as empty; a note is one clean line of at most
    NOTE_CHARS characters.
    """
    ticked: set[str] = set()
    notes: dict[str, str] = {}
    for block_id, actions in _objects(values).items():
        if block_id.startswith("stage_"):
            chosen = _objects(_objects(actions).get("marks")).get("selected_options")
            ticked.update(
                o["value"]
                for o in (chosen if isinstance(chosen, list) else [])
                if isinstance(o, dict) and isinstance(o.get("value"), str)
            )
        elif block_id.startswith("note_"):
            value = _objects(_objects(actions).get("note")).get("value")
            note = clean_line(value)[:NOTE_CHARS] if isinstance(value, str) else ""
            if note:
                notes[block_id.removeprefix("note_")] = note
    return ticked, notes


def _objects(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
