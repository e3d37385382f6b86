"""The pulse question bank, as versioned data.

Answers are stored by question id, question version and option key, never by wording, so a
question can be reworded (a new version) without touching what people answered before.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

BANK_VERSION = 1
OTHER_TOOL = "other"


class Kind(enum.StrEnum):
    """How a question is answered."""

    SINGLE = "single"  # one button
    MULTI = "multi"  # several options from a multi-select
    USER = "user"  # pick a person


class Signal(enum.StrEnum):
    """What an answer tells the diagnosis about."""

    USAGE = "usage"
    TOOLS = "tools"
    VALUE = "value"
    KNOWLEDGE = "knowledge"
    TRAINING = "training"
    PROMPTS = "prompts"
    KICKOFF = "kickoff"
    QUALITY = "quality"
    LEAKAGE = "leakage"
    SENTIMENT = "sentiment"


@dataclass(frozen=True)
class Option:
    """One answer a person can click; `key` is what is stored."""

    key: str
    label: str


@dataclass(frozen=True)
class Question:
    """One pulse question."""

    id: str
    version: int
    text: str
    kind: Kind
    options: tuple[Option, ...]  # empty for USER, and for the team's tool list (filled per team)
    signals: tuple[Signal, ...]
    confidential: bool = False  # stored unlinkable from the person
    rotating: bool = False  # one rotating question joins the core ones each round
    once_per_person: bool = False  # not asked again once answered
    optional: bool = False
    visible_for_named_roles: bool = False  # AI lead / executive sponsor answers shown to owner
    team_options: bool = False  # options come from the team's tool list

    def option(self, key: str) -> Option | None:
        """The option with this key, or None."""
        return next((o for o in self.options if o.key == key), None)


def _opts(*pairs: tuple[str, str]) -> tuple[Option, ...]:
    return tuple(Option(key, label) for key, label in pairs)


QUESTIONS: tuple[Question, ...] = (
    Question(
        id="ai_frequency",
        version=1,
        text="How often did you use AI tools for your work this week?",
        kind=Kind.SINGLE,
        options=_opts(
            ("none", "Not at all"),
            ("few", "Once or twice"),
            ("several", "Several times"),
            ("daily", "Daily"),
        ),
        signals=(Signal.USAGE,),
        visible_for_named_roles=True,
    ),
    Question(
        id="ai_tools",
        version=1,
        text="Which AI tools did you use?",
        kind=Kind.MULTI,
        options=(),
        signals=(Signal.TOOLS,),
        team_options=True,
        optional=True,
    ),
    Question(
        id="time_saved",
        version=1,
        text="Did AI save you time on a real task this week? Roughly how much?",
        kind=Kind.SINGLE,
        options=_opts(
            ("no", "No"),
            ("under_30m", "Under 30 min"),
            ("30m_2h", "30 min to 2 h"),
            ("over_2h", "Over 2 h"),
        ),
        signals=(Signal.VALUE,),
    ),
    Question(
        id="go_to_person",
        version=1,
        text="Who do you go to when you are stuck with AI? (optional)",
        kind=Kind.USER,
        options=(),
        signals=(Signal.KNOWLEDGE,),
        optional=True,
    ),
    Question(
        id="training_fit",
        version=1,
        text="Did the AI training you had cover your actual workflow?",
        kind=Kind.SINGLE,
        options=_opts(
            ("yes", "Yes, my real work"),
            ("partly", "Partly"),
            ("generic", "No, it was generic"),
            ("none", "No training yet"),
        ),
        signals=(Signal.TRAINING,),
        rotating=True,
    ),
    Question(
        id="prompt_source",
        version=1,
        text="Are the prompts and examples you use drawn from our own work, or generic templates?",
        kind=Kind.SINGLE,
        options=_opts(
            ("own", "Our own work"),
            ("mixed", "A mix"),
            ("generic", "Generic templates"),
            ("none", "I use none"),
        ),
        signals=(Signal.PROMPTS,),
        rotating=True,
    ),
    Question(
        id="first_heard",
        version=1,
        text="How did you first hear about the AI rollout?",
        kind=Kind.SINGLE,
        options=_opts(
            ("kickoff", "A kickoff or team meeting"),
            ("manager", "My manager"),
            ("slack", "A Slack message"),
            ("colleague", "A colleague"),
            ("not_heard", "What rollout?"),
        ),
        signals=(Signal.KICKOFF,),
        rotating=True,
        once_per_person=True,
    ),
    Question(
        id="output_problems",
        version=1,
        text="Have you seen problems in AI output reach a customer or a colleague?",
        kind=Kind.SINGLE,
        options=_opts(
            ("no", "No"),
            ("once", "Once"),
            ("repeatedly", "More than once"),
            ("unsure", "Not sure"),
        ),
        signals=(Signal.QUALITY,),
        rotating=True,
    ),
    Question(
        id="confidential_paste",
        version=1,
        text="Have you pasted confidential data into an AI tool that is not approved?",
        kind=Kind.SINGLE,
        options=_opts(("no", "No"), ("unsure", "Not sure what counts"), ("yes", "Yes")),
        signals=(Signal.LEAKAGE,),
        rotating=True,
        confidential=True,
    ),
    Question(
        id="whats_in_it",
        version=1,
        text="What is in it for you?",
        kind=Kind.SINGLE,
        options=_opts(
            ("helps", "It makes my work better"),
            ("unsure", "Not sure yet"),
            ("worried", "I worry about my job"),
            ("burden", "Extra work, little gain"),
        ),
        signals=(Signal.SENTIMENT,),
        rotating=True,
    ),
)

_BY_ID = {q.id: q for q in QUESTIONS}
CORE_IDS: tuple[str, ...] = tuple(q.id for q in QUESTIONS if not q.rotating)
ROTATING_IDS: tuple[str, ...] = tuple(q.id for q in QUESTIONS if q.rotating)
MAX_QUESTIONS_PER_PULSE = 5
DEFAULT_TOOLS: tuple[tuple[str, str], ...] = (
    ("chatgpt", "ChatGPT"),
    ("claude", "Claude"),
    ("copilot", "Copilot"),
    ("gemini", "Gemini"),
)


def question(question_id: str) -> Question | None:
    """The current version of a question, or None."""
    return _BY_ID.get(question_id)


def with_tools(q: Question, tools: tuple[tuple[str, str], ...]) -> Question:
    """The question with the team's tool list (plus "other") as its options."""
    if not q.team_options:
        return q
    options = (*(Option(key, label) for key, label in tools), Option(OTHER_TOOL, "Other"))
    return replace(q, options=options)


def rotating_for_round(round_number: int, disabled: frozenset[str] = frozenset()) -> str | None:
    """The rotating question of the n-th round (0-based), skipping switched-off questions."""
    enabled = [qid for qid in ROTATING_IDS if qid not in disabled]
    if not enabled:
        return None
    return enabled[round_number % len(enabled)]


def pulse_questions(
    round_number: int,
    *,
    disabled: frozenset[str] = frozenset(),
    already_answered_once: frozenset[str] = frozenset(),
) -> tuple[Question, ...]:
    """The questions one person gets in a round: the enabled core plus the round's rotating one.

    A once-per-person question that this person already answered is left out, not replaced.
    """
    chosen = [_BY_ID[qid] for qid in CORE_IDS if qid not in disabled]
    rotating = rotating_for_round(round_number, disabled)
    if rotating is not None and rotating not in already_answered_once:
        chosen.append(_BY_ID[rotating])
    return tuple(chosen[:MAX_QUESTIONS_PER_PULSE])
