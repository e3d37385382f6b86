"""The simulated company and what it goes through: people, roles, zones and behaviour profiles.

A scenario starts from a healthy company and changes only what its story is about (who uses AI,
who everyone asks for help, what people paste where), plus what follows honestly from that: a
person who did not use AI this week names no tools and saved no time. Which answers are given
by whom is drawn once per run from the seed, with fixed proportions, so a scenario yields the
same shape for every seed and a different cast.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from bot.storage.models import Role

USAGE_LEVELS = ("none", "few", "several", "daily")
TEAM_ZONE = "America/New_York"
# Everyone but the three named roles is spread over these zones, in this order.
MEMBER_ZONES = (
    "Europe/London",
    "Europe/Berlin",
    "America/Chicago",
    "America/New_York",
    "America/Los_Angeles",
)
FIRST_NAMES = (
    "Maya", "Sam", "Daniel", "Priya", "Lena", "Tom", "Aisha", "Marco", "Grace", "Jonas", "Nina",
    "Leo", "Hana", "Omar", "Clara", "Ravi", "Sofia", "Felix", "Zoe", "Kofi",
)  # fmt: skip
LAST_NAMES = (
    "Chen", "Ortiz", "Hart", "Nair", "Vogel", "Baker", "Bello", "Rossi", "Kim", "Berg", "Patel",
    "Dubois", "Sato", "Haddad", "Novak", "Iyer", "Costa", "Brandt", "Reid", "Mensah",
)  # fmt: skip
MIN_PEOPLE = 8  # the three named roles and enough others for a week to reach the group size
MAX_PEOPLE = 1000


class BadOption(ValueError):
    """A demo option out of range; the message says what would work."""


class UnknownScenario(BadOption):
    """A scenario name the demo does not know; the message lists the ones it does."""


@dataclass(frozen=True)
class Seat:
    """Who someone is in the simulated company."""

    user_id: str
    name: str
    role: Role
    tz: str
    title: str  # "owner", "AI lead", "CEO", "member"

    @property
    def city(self) -> str:
        """The zone's city, for the transcript ("Los Angeles")."""
        return self.tz.rsplit("/", 1)[-1].replace("_", " ")


@dataclass(frozen=True)
class Profile:
    """How one simulated person behaves, drawn once per run from the scenario and the seed."""

    respond: float  # chance of answering a given week's pulse at all
    prompt: float  # when they answer: chance of doing it before the reminder
    usage: tuple[str, ...]  # each week one of these is their honest "how often" answer
    tools: tuple[str, ...]  # tool keys they name in a week they used AI
    go_to: str | None  # the user id they name as their AI help; None: they skip the question
    training: str  # their answers to the rotating questions, by question
    prompts: str
    first_heard: str
    output: str
    confidential: str
    sentiment: str

    def answer(self, question_id: str) -> str | None:
        """This person's answer to a rotating question, or None for a question they skip."""
        return {
            "training_fit": self.training,
            "prompt_source": self.prompts,
            "first_heard": self.first_heard,
            "output_problems": self.output,
            "confidential_paste": self.confidential,
            "whats_in_it": self.sentiment,
        }.get(question_id)


Shape = Callable[["Cast", random.Random], None]


@dataclass(frozen=True)
class Scenario:
    """A story the simulated company goes through, and what the diagnosis should make of it."""

    name: str
    title: str
    story: str
    expected: tuple[str, ...]  # failure modes the pulse signals should detect (none: healthy)
    rollout_weeks: int  # how long before the first simulated week the rollout started
    min_weeks: int  # weeks it takes before the pulse can show the expected modes
    shape: Shape  # how this story changes the healthy company's profiles
    on_track: str = "yes"  # the owner's answer to the weekly check-in's "on track?"
    rsvp: float = 0.4  # the chance each person says they will come to office hours
    lead_workflows: int = 1  # shipped workflows the AI lead puts in the registry
    member_workflow: bool = False  # a member adds one too


@dataclass
class Cast:
    """The company's seats and everyone's profile, as a scenario shapes them."""

    seats: list[Seat]
    profiles: dict[str, Profile]
    main_tool: str
    champions: list[str]  # members others also go to for AI help

    @property
    def owner(self) -> Seat:
        """The rollout owner."""
        return self.seats[0]

    @property
    def lead(self) -> Seat:
        """The AI lead."""
        return self.seats[1]

    @property
    def ceo(self) -> Seat:
        """The CEO, the rollout's executive sponsor."""
        return self.seats[2]

    @property
    def members(self) -> list[Seat]:
        """Everyone who holds no named role."""
        return self.seats[3:]

    def change(self, user_id: str, **fields: object) -> None:
        """Replace some of one person's profile."""
        self.profiles[user_id] = replace(self.profiles[user_id], **fields)


def spread(shares: Mapping[str | None, float], count: int, rng: random.Random) -> list[str | None]:
    """`count` values in these proportions (largest remainder), in a seeded random order."""
    total = sum(shares.values())
    exact = {value: share / total * count for value, share in shares.items()}
    chosen = {value: int(n) for value, n in exact.items()}
    left = count - sum(chosen.values())
    by_remainder = sorted(exact, key=lambda v: (-(exact[v] - chosen[v]), list(shares).index(v)))
    for value in by_remainder[:left]:
        chosen[value] += 1
    values = [value for value, n in chosen.items() for _ in range(n)]
    rng.shuffle(values)
    return values


def _around(level: str) -> tuple[str, ...]:
    """A usual usage level, with a week a step lower or higher now and then."""
    i = USAGE_LEVELS.index(level)
    lower = USAGE_LEVELS[max(0, i - 1)]
    upper = USAGE_LEVELS[min(len(USAGE_LEVELS) - 1, i + 1)]
    return (lower, level, level, level, upper)


def seats(count: int) -> list[Seat]:
    """The company: an owner, an AI lead and a CEO in New York, then members around the world."""
    named = (
        (Role.OWNER, "owner", TEAM_ZONE),
        (Role.AI_LEAD, "AI lead", TEAM_ZONE),
        (Role.EXECUTIVE_SPONSOR, "CEO", TEAM_ZONE),
    )
    result = []
    for i in range(count):
        first = FIRST_NAMES[i % len(FIRST_NAMES)]
        last = LAST_NAMES[(i + i // len(FIRST_NAMES)) % len(LAST_NAMES)]
        name = f"{first} {last}"
        if i >= len(FIRST_NAMES) * len(LAST_NAMES):
            name += f" {i // (len(FIRST_NAMES) * len(LAST_NAMES)) + 1}"
        role, title, tz = (
            named[i] if i < len(named) else (Role.MEMBER, "member", MEMBER_ZONES[i % 5])
        )
        result.append(Seat(f"UDEMO{i + 1:04d}", name, role, tz, title))
    return result


def healthy_cast(people: Sequence[Seat], rng: random.Random) -> Cast:
    """A company where AI use is spreading: most people use it, help comes from several people."""
    seats_ = list(people)
    members = seats_[3:]
    n = len(members)
    main = rng.choice(("chatgpt", "claude", "copilot"))
    others = [t for t in ("chatgpt", "claude", "copilot", "gemini") if t != main]
    champions = [s.user_id for s in members[:3]]
    lead = seats_[1].user_id
    levels = spread({"daily": 0.30, "several": 0.45, "few": 0.25}, n, rng)
    tool_sets = spread({"main": 0.6, "second": 0.3, "third": 0.1}, len(seats_), rng)
    go_tos = spread(
        {lead: 0.2, champions[0]: 0.2, champions[1]: 0.15, champions[2]: 0.15, None: 0.3},
        len(seats_),
        rng,
    )
    traits = {
        "training": spread({"yes": 0.45, "partly": 0.40, "generic": 0.15}, len(seats_), rng),
        "prompts": spread({"own": 0.40, "mixed": 0.45, "generic": 0.15}, len(seats_), rng),
        "first_heard": spread(
            {"kickoff": 0.5, "manager": 0.3, "colleague": 0.1, "slack": 0.1}, len(seats_), rng
        ),
        "output": spread({"no": 0.8, "unsure": 0.2}, len(seats_), rng),
        "confidential": spread({"no": 0.85, "unsure": 0.15}, len(seats_), rng),
        "sentiment": spread({"helps": 0.7, "unsure": 0.25, "worried": 0.05}, len(seats_), rng),
    }
    profiles = {}
    for i, seat in enumerate(seats_):
        tools = {
            "main": (main,),
            "second": (main, others[0]),
            "third": (main, others[1]),
        }[str(tool_sets[i])]
        go_to = go_tos[i]
        if go_to == seat.user_id:  # nobody names themselves: they ask the AI lead or a champion
            go_to = champions[0] if seat.user_id == lead else lead
        if seat.role is Role.MEMBER:
            usage, respond = _around(str(levels[i - 3])), rng.uniform(0.6, 0.95)
        elif seat.role is Role.AI_LEAD:
            usage, respond = ("daily",), 0.95
        else:
            usage, respond = ("several", "several", "daily"), 0.9
        profiles[seat.user_id] = Profile(
            respond=round(respond, 2),
            prompt=round(rng.uniform(0.45, 0.9), 2),
            usage=usage,
            tools=tools,
            go_to=go_to,
            **{trait: str(values[i]) for trait, values in traits.items()},
        )
    return Cast(seats_, profiles, main, champions)


# --- the scenarios -----------------------------------------------------------------------------
def _healthy(cast: Cast, rng: random.Random) -> None:
    """Nothing to change."""


def _only_ai_lead(cast: Cast, rng: random.Random) -> None:
    """The AI lead uses AI every day; the CEO tried it once or twice; nobody else uses it."""
    cast.change(cast.lead.user_id, usage=("daily",), respond=1.0, tools=(cast.main_tool, "other"))
    cast.change(cast.ceo.user_id, usage=("few",), tools=(cast.main_tool,))
    cast.change(cast.owner.user_id, usage=("none",))
    # In a big company a few others dabble, still well under a tenth of them.
    curious = {s.user_id for s in cast.members[: len(cast.members) // 25]}
    for seat in cast.members:
        cast.change(
            seat.user_id,
            usage=("none", "few") if seat.user_id in curious else ("none",),
            go_to=cast.lead.user_id if rng.random() < 0.7 else None,
        )


def _ceo_no_ai(cast: Cast, rng: random.Random) -> None:
    """The CEO champions the rollout in every all-hands and never opens the tools."""
    cast.change(cast.ceo.user_id, usage=("none",), respond=1.0)


def _knowledge_in_one_head(cast: Cast, rng: random.Random) -> None:
    """Months in, nearly everyone still takes their AI questions to the AI lead."""
    lead, helper = cast.lead.user_id, cast.champions[0]
    cast.change(lead, go_to=helper, respond=1.0)
    cast.change(cast.owner.user_id, go_to=lead)
    cast.change(cast.ceo.user_id, go_to=lead)
    names = spread({lead: 0.85, helper: 0.15}, len(cast.members), rng)
    for seat, go_to in zip(cast.members, names, strict=True):
        cast.change(seat.user_id, go_to=lead if go_to == seat.user_id else go_to)


def _leakage(cast: Cast, rng: random.Random) -> None:
    """A few people paste customer data into a tool the company has not approved."""
    answers = spread({"yes": 0.15, "unsure": 0.15, "no": 0.7}, len(cast.members), rng)
    if "yes" not in answers:
        answers[0] = "yes"
    for seat, answer in zip(cast.members, answers, strict=True):
        profile = cast.profiles[seat.user_id]
        if answer == "yes":  # they use an unapproved tool, and never miss a pulse
            cast.change(
                seat.user_id,
                confidential="yes",
                respond=1.0,
                tools=(*profile.tools, "other"),
                usage=tuple(u if u != "none" else "few" for u in profile.usage),
            )
        else:
            cast.change(seat.user_id, confidential=str(answer))


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            name="healthy",
            title="A rollout that is taking hold",
            story=(
                "Six weeks after launch most people use AI several times a week, help comes "
                "from the AI lead and a few colleagues, the CEO uses it too, and nobody pastes "
                "confidential data anywhere it should not go."
            ),
            expected=(),
            rollout_weeks=6,
            min_weeks=1,
            shape=_healthy,
            rsvp=0.5,
            member_workflow=True,
        ),
        Scenario(
            name="only-ai-lead",
            title="Only the AI lead uses the tools",
            story=(
                "Two weeks after launch the AI lead uses AI daily; the CEO tried it once or "
                "twice; everyone else says they have not used it."
            ),
            expected=("2.2",),
            rollout_weeks=2,
            min_weeks=2,
            shape=_only_ai_lead,
            on_track="partly",
            rsvp=0.1,
        ),
        Scenario(
            name="ceo-no-ai",
            title="The CEO does not use AI",
            story=(
                "The team is adopting AI well, but the CEO, the rollout's executive sponsor, "
                "answers every week that they have not used it."
            ),
            expected=("2.3",),
            rollout_weeks=3,
            min_weeks=2,
            shape=_ceo_no_ai,
            on_track="partly",
        ),
        Scenario(
            name="knowledge-in-one-head",
            title="AI know-how lives in one head",
            story=(
                "Six months into the rollout (so the scaling stage is live) AI use is broad, but "
                "nearly everyone goes to the AI lead whenever they are stuck."
            ),
            expected=("4.1",),
            rollout_weeks=26,
            min_weeks=1,
            shape=_knowledge_in_one_head,
            rsvp=0.2,
            lead_workflows=3,
        ),
        Scenario(
            name="leakage",
            title="Confidential data leaks into unapproved tools",
            story=(
                "Ten weeks in, adoption looks fine, but when the pulse asks (confidentially, in "
                "week 5) a few people say they pasted confidential data into an unapproved tool."
            ),
            expected=("3.4",),
            rollout_weeks=10,
            min_weeks=5,
            shape=_leakage,
        ),
    )
}


def scenario(name: str) -> Scenario:
    """The scenario called `name`; an unknown name raises `UnknownScenario` listing the valid."""
    found = SCENARIOS.get(name)
    if found is None:
        raise UnknownScenario(f"unknown scenario {name!r}; choose one of: {', '.join(SCENARIOS)}")
    return found


def cast(chosen: Scenario, people: int, seed: int) -> Cast:
    """The company for a run: the same people for every scenario, profiles from the seed."""
    rng = random.Random(f"atlas-demo/{chosen.name}/{seed}")
    company = healthy_cast(seats(people), rng)
    chosen.shape(company, rng)
    return company
