"""The simulation: weeks of a company's pulse in virtual time, against the real running app.

Time is a `VirtualTime` that the app (`ctx.clock`), the scheduler tick (`now`, `clock`) and the
pacing of Slack calls (`Caller(sleep=…, clock=…)`) all read, so eight weeks pass in seconds and
no pacing wait is ever slept. The tick is called at the moments that matter: each person's
pulse time in their own zone, each reminder, the owner's weekly check-in, and the round's close
(which diagnoses and sends the weekly digest). People answer only by clicking the elements of
the DM the app sent them, as signed `block_actions` over HTTP; the owner acknowledges alerts
and answers the check-in the same way.
"""

from __future__ import annotations

import heapq
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from typing import Any

from sqlalchemy import func, select

from atlas.diagnosis.model import Diagnosis, Finding, Source, Status
from bot.app import make_web_client
from bot.demo.scenarios import TEAM_ZONE, Cast, Profile, Scenario, Seat
from bot.outbound import Caller
from bot.polling import poll_until
from bot.sandbox import FakeSlack, SignedSender
from bot.sandbox.people import Person, click_payload, find_element
from bot.sandbox.running import SANDBOX_BOT_TOKEN, RunningApp, VirtualWaits
from bot.sandbox.transcript import blocks_to_text
from bot.scheduling.calendar import at_local, out_of_quiet_hours, personal_due, zone
from bot.scheduling.tick import tick
from bot.services import diagnosis, owner
from bot.storage import pulse as pulse_repo
from bot.storage import teams as team_repo
from bot.storage.models import Team

TEAM_NAME = "Brightline Logistics"
TEAM_CHANNEL = "C0BRIGHTLINE"  # the team follows this channel's members
HELP_CHANNEL = "C0AIHELP"  # where office hours are announced
OFFICE_HOURS = (3, wall_time(15, 0))  # Thursdays at 15:00, the team's time zone
TOOLS = ("ChatGPT", "Claude", "Copilot", "Gemini")
SETUP_TIME = wall_time(9, 0)  # the owner sets the team up the Friday before week 1
RSVP_DELAY = timedelta(hours=1)  # people see the office hours announcement this soon
HERE_DELAY = timedelta(minutes=16)  # and click "I'm here" just after it starts
# (name, shipped this many days before week 1, minutes per run before AI, with AI)
LEAD_WORKFLOWS = (
    ("Shipment exception emails", 10, 45, 15),
    ("Carrier rate comparison", 20, 60, 20),
    ("Customs paperwork check", 5, 30, 10),
)
MEMBER_WORKFLOW = ("Weekly customer report", 3, 120, 40)
# The app's private answers to office hours clicks (ephemeral, yet not refusals).
OFFICE_HOURS_REPLIES = ("You're on the list", "Thanks for coming")
REPLY_TIMEOUT = 30.0  # seconds of real time the app gets to handle one moment's clicks
PROMPT_DELAYS = (1, 1, 2, 3, 5)  # hours after the pulse arrives, for those who answer at once
REMINDED_DELAYS = (1, 2, 4)  # hours after the reminder, for those who needed one
OWNER_DELAY = timedelta(minutes=30)  # the owner deals with an alert or check-in this soon
Push = Callable[..., None]  # push(at, kind, key="") puts an event on the week's queue
_QUESTION = re.compile(r"^\*\d+\. (.+?)\*")
TIME_SAVED = {
    "none": ("no", "no"),
    "few": ("no", "under_30m"),
    "several": ("under_30m", "30m_2h"),
    "daily": ("30m_2h", "over_2h"),
}


class DemoError(RuntimeError):
    """The simulation could not go on (the app did not answer, the database is not empty)."""


@dataclass
class VirtualTime:
    """The simulation's clock: the app, the tick and Slack pacing all read it."""

    now: datetime
    waits: VirtualWaits = field(default_factory=VirtualWaits)  # Slack pacing, in virtual time

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        """A pacing wait: it passes in virtual time."""
        self.waits.sleep(seconds)

    def monotonic(self) -> float:
        """The pacers' clock, which only moves when they wait."""
        return self.waits.clock()

    @property
    def paced(self) -> float:
        """Seconds Slack pacing waited, in virtual time."""
        return self.waits.clock()


# --- what happened, as the transcript and the report need it ----------------------------------
@dataclass
class PulseLog:
    """One person's pulse in one week."""

    sent_at: datetime
    questions: tuple[tuple[str, str], ...]  # (question id, its text as the DM showed it)
    reminded_at: datetime | None = None
    answered_at: datetime | None = None
    answers: list[tuple[str, str]] = field(default_factory=list)  # (question id, as clicked)


@dataclass(frozen=True)
class OwnerNote:
    """A DM the owner got from the app, other than their own pulse."""

    at: datetime
    kind: str  # "alert", "worse", "cleared", "recovery", "digest", "note"
    mode_id: str | None
    text: str  # rendered with blocks_to_text


@dataclass
class WeekLog:
    """One simulated week, as the app saw and stored it."""

    number: int  # 1-based
    local_date: date
    round_number: int | None = None
    closes_at: datetime | None = None
    pulses: dict[str, PulseLog] = field(default_factory=dict)
    notes: list[OwnerNote] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)  # alerts the owner acknowledged
    owner_clicks: list[tuple[datetime, str]] = field(default_factory=list)  # when, what, in words
    office_hours: list[tuple[datetime, str]] = field(default_factory=list)  # when, what happened
    rsvps: list[str] = field(default_factory=list)  # who said they would come
    attended: list[str] = field(default_factory=list)  # who said they were there
    # From the app after the round closed:
    asked: int = 0
    answered: int = 0
    usage: dict[str, int] = field(default_factory=dict)  # the ai_frequency tally
    rollout_day: int | None = None
    live_stages: tuple[int, ...] = ()
    statuses: dict[str, str] = field(default_factory=dict)  # mode id → stored status

    @property
    def detected(self) -> tuple[str, ...]:
        """Modes the stored diagnosis had detected when the week's round closed."""
        return tuple(m for m, s in self.statuses.items() if s == Status.DETECTED.value)

    @property
    def alerts(self) -> tuple[str, ...]:
        """Modes the owner was alerted about this week (new or worse)."""
        return tuple(n.mode_id for n in self.notes if n.kind in ("alert", "worse") and n.mode_id)


@dataclass
class Clicks:
    """Every click sent to the app, and what came back."""

    sent: int = 0  # signed block_actions posted
    accepted: int = 0  # answered 200 (acknowledged) by the app
    answers: int = 0  # of them, pulse answers (the rest: the owner's alert and check-in buttons)
    office_hours: int = 0  # of them, RSVPs and "I'm here" on office hours posts
    modals: int = 0  # modals submitted (setup, workflows) as signed view_submission requests
    replies: int = 0  # response_url posts the app made for them
    refused: list[str] = field(default_factory=list)  # replies that refused or failed


@dataclass
class Record:
    """Everything a run produced, for the transcript and the report."""

    scenario: Scenario
    seed: int
    cast: Cast
    start: date
    rollout_start: date
    min_group_size: int
    weeks: list[WeekLog] = field(default_factory=list)
    final: Diagnosis | None = None
    commands: list[tuple[Seat, str, int, str]] = field(default_factory=list)
    clicks: Clicks = field(default_factory=Clicks)
    paced_seconds: float = 0.0
    setup: list[str] = field(default_factory=list)  # what the set-up did, in words
    homes: list[tuple[Seat, str]] = field(default_factory=list)  # Home tabs at the end, as text
    charts: int = 0  # trend charts the app uploaded into the owner's DM

    def name(self, user_id: str) -> str:
        """A person's name, or the id when they are not in the company."""
        seat = next((s for s in self.cast.seats if s.user_id == user_id), None)
        return seat.name if seat else user_id

    @property
    def findings(self) -> tuple[Finding, ...]:
        """The final stored findings that are detected or on watch."""
        if self.final is None:
            return ()
        return tuple(f for f in self.final.findings if f.status in (Status.DETECTED, Status.WATCH))

    @property
    def detected(self) -> tuple[str, ...]:
        """Modes the final stored diagnosis detects from pulse signals."""
        if self.final is None:
            return ()
        return tuple(f.mode_id for f in self.final.detected() if f.source is Source.SIGNAL)

    @property
    def as_intended(self) -> bool:
        """The scenario's modes were detected; for a healthy scenario, nothing was."""
        if not self.scenario.expected:
            return not self.detected
        return set(self.scenario.expected) <= set(self.detected)


@dataclass(frozen=True)
class _Intent:
    """What one person will do with one week's pulse."""

    respond: bool
    prompt: bool
    usage: str
    delay: int  # hours after the pulse (prompt) or after the reminder
    skip_tools: bool
    saved: int  # which of the two plausible time-saved answers


# --- the simulation ----------------------------------------------------------------------------
class Simulation:
    """Drives the company through its weeks against a running app."""

    def __init__(
        self,
        *,
        scenario: Scenario,
        cast: Cast,
        seed: int,
        start: date,
        slack: FakeSlack,
        running: RunningApp,
    ) -> None:
        self.scenario, self.cast, self.seed, self.start = scenario, cast, seed, start
        self.slack, self.running = slack, running
        self.db = running.db
        self.sender: SignedSender = running.sender()
        self.seats = {s.user_id: s for s in cast.seats}
        self.time = VirtualTime(datetime.combine(start, datetime.min.time(), tzinfo=UTC))
        # The app's listeners and the tick read the same virtual clock; their Slack calls are
        # paced in virtual time too.
        self.caller = Caller(
            make_web_client(running.settings, SANDBOX_BOT_TOKEN, retries=False),
            sleep=self.time.sleep,
            clock=self.time.monotonic,
        )
        running.ctx.clock = self.time
        running.ctx.caller = self.caller  # the cached property, replaced for this run
        self._seen: dict[str, int] = {}  # user id → messages already read in their DM
        self._expected_replies = 0
        self.record = Record(
            scenario=scenario,
            seed=seed,
            cast=cast,
            start=start,
            rollout_start=start - timedelta(weeks=scenario.rollout_weeks),
            min_group_size=0,
        )

    # --- set-up --------------------------------------------------------------------------------
    def setup(self) -> None:
        """The workspace's people and channels in the sandbox; the owner sets the team up.

        Everything goes through the app as a person would: `/atlas setup` opens the setup modal,
        the owner submits it (the channel's members become the team), and the AI lead (and in
        some stories a member) add shipped workflows with `/atlas workflow`.
        """
        with self.db.unit_of_work() as session:
            if session.scalar(select(func.count()).select_from(Team)):
                raise DemoError("the demo needs an empty database; this one already has teams")
        for seat in self.cast.seats:
            self.slack.add_user(seat.user_id, name=seat.name, tz=seat.tz)
        everyone = [seat.user_id for seat in self.cast.seats]
        self.slack.channel_members[TEAM_CHANNEL] = [*everyone, self.slack.bot_user_id]
        self.slack.channel_members[HELP_CHANNEL] = [*everyone, self.slack.bot_user_id]
        friday = self.start - timedelta(days=3)
        self.time.now = at_local(friday, SETUP_TIME, zone(TEAM_ZONE))
        owner_seat, lead, ceo = self.cast.owner, self.cast.lead, self.cast.ceo
        oh_day, oh_time = str(OFFICE_HOURS[0]), OFFICE_HOURS[1].strftime("%H:%M")
        form = {
            "name": ("plain_text_input", "value", TEAM_NAME),
            "channel": ("conversations_select", "selected_conversation", TEAM_CHANNEL),
            "owner": ("users_select", "selected_user", owner_seat.user_id),
            "ai_lead": ("users_select", "selected_user", lead.user_id),
            "sponsor": ("users_select", "selected_user", ceo.user_id),
            "rollout_start": ("datepicker", "selected_date", self.record.rollout_start.isoformat()),
            "timezone": ("plain_text_input", "value", TEAM_ZONE),
            "pulse_day": ("static_select", "selected_option", {"value": "0"}),
            "pulse_time": ("timepicker", "selected_time", "10:00"),
            "min_group_size": ("number_input", "value", "5"),
            "tools": ("plain_text_input", "value", "\n".join(TOOLS)),
            "office_hours_channel": ("conversations_select", "selected_conversation", HELP_CHANNEL),
            "office_hours_day": ("static_select", "selected_option", {"value": oh_day}),
            "office_hours_time": ("timepicker", "selected_time", oh_time),
        }
        self._modal(owner_seat, "setup", form, done="is set up")
        with self.db.unit_of_work() as session:
            team = session.scalars(select(Team)).one()
            self.team_id = team.id
            self.pulse_time = team.pulse_time
            self.quiet = (team.quiet_start, team.quiet_end)
            self.reminder_hours = team.reminder_delay_hours
            self.record.min_group_size = team.min_group_size
            self.check_in = (
                (team.check_in_weekday, team.check_in_time) if team.check_in_enabled else None
            )
            self.office_hours = (
                (team.office_hours_weekday, team.office_hours_time)
                if team.office_hours_channel_id
                else None
            )
            members = len(team_repo.active_members(session=session, team_id=team.id))
        self.record.setup.append(
            f"{_clock(self.time.now)} {owner_seat.name} typed /atlas setup and submitted the setup "
            f"modal: the team follows #brightline ({members} people), "
            f"{lead.name} is the AI lead, {ceo.name} the executive sponsor, the pulse goes out "
            f"on Mondays at 10:00 in each person's own time zone, office hours on Thursdays at "
            "15:00 in #ai-help."
        )
        plan = [(lead, name) for name in LEAD_WORKFLOWS[: self.scenario.lead_workflows]]
        if self.scenario.member_workflow and self.cast.members:
            plan.append((self.cast.members[0], MEMBER_WORKFLOW))
        for number, (seat, (name, days_ago, before, after)) in enumerate(plan):
            self.time.now += timedelta(minutes=20)
            shipped = (self.start - timedelta(days=days_ago)).isoformat()
            form = {
                "name": ("plain_text_input", "value", name),
                "owner": ("users_select", "selected_user", seat.user_id),
                "shipped_on": ("datepicker", "selected_date", shipped),
                "minutes_before": ("number_input", "value", str(before)),
                "minutes_after": ("number_input", "value", str(after)),
            }
            self._modal(seat, "workflow", form, done="Added:")
            self.record.setup.append(
                f"{_clock(self.time.now)} {seat.name} added “{name}” with /atlas workflow: "
                f"shipped {shipped}, {before} → {after} minutes per run."
                + (" (A second one: the registry grows.)" if number == 1 else "")
            )
        for seat in self.cast.seats:  # what the set-up sent is in the set-up's story
            self._new_dms(seat.user_id)

    def _modal(self, seat: Seat, command: str, form: dict[str, Any], *, done: str) -> None:
        """Type `/atlas command`, submit the modal it opens, wait for the app's confirming DM."""
        opened = len(self.slack.calls_to("views.open"))
        status, _ = self.command(seat, command, record=False)
        if status != 200:
            raise DemoError(f"/atlas {command} answered HTTP {status}")
        view = _wait(lambda: self.slack.calls_to("views.open")[opened:], f"/atlas {command}")[0]
        values = {
            block: {"value": {"type": kind, key: value}}
            for block, (kind, key, value) in form.items()
        }
        confirmations = self._confirmations(seat.user_id, done)
        reply = self.sender.view_submission(view.json("view"), values, user_id=seat.user_id)
        self.record.clicks.modals += 1
        if reply.status != 200 or reply.text:
            raise DemoError(f"the {command} modal was refused: {reply.text[:300]}")
        _wait(
            lambda: self._confirmations(seat.user_id, done) > confirmations,
            f"the {command} confirmation",
        )

    def _confirmations(self, user_id: str, done: str) -> int:
        return sum(
            done in str(m.get("text", ""))
            for m in self.slack.messages_in(self.slack.dm_channel(user_id))
        )

    # --- one week ------------------------------------------------------------------------------
    def week(self, number: int) -> WeekLog:
        """Run week `number` (1-based): pulses, clicks, reminders, the close and its diagnosis."""
        monday = self.start + timedelta(weeks=number - 1)
        log = WeekLog(number=number, local_date=monday)
        intents = self._intents(number)
        queue: list[tuple[datetime, int, int, str, str]] = []  # (at, order, seq, kind, key)
        ticks: set[datetime] = set()
        seq = 0

        def push(at: datetime, kind: str, key: str = "") -> None:
            """Queue a tick, a person's answers (key: their id) or the owner's clicks (key: ts)."""
            nonlocal seq
            if kind == "tick":
                if at in ticks:
                    return
                ticks.add(at)
            order = {"tick": 0, "answer": 1, "owner": 2, "rsvp": 3, "here": 4}[kind]
            heapq.heappush(queue, (at, order, seq, kind, key))
            seq += 1

        for seat in self.cast.seats:
            push(personal_due(monday, self.pulse_time, zone(seat.tz), self.quiet), "tick")
        if self.check_in is not None:
            weekday, at = self.check_in
            push(at_local(monday + timedelta(days=weekday), at, zone(TEAM_ZONE)), "tick")
        if self.office_hours is not None:
            weekday, at = self.office_hours
            day, tz = monday + timedelta(days=weekday), zone(TEAM_ZONE)
            starts = at_local(day, at, tz)
            push(min(at_local(day, self.quiet[1], tz), starts - timedelta(hours=1)), "tick")
            push(starts - timedelta(minutes=15), "tick")
        while queue:
            at, _, _, kind, _ = queue[0]
            batch = []
            while queue and queue[0][0] == at and queue[0][3] == kind:
                batch.append(heapq.heappop(queue)[4])
            self.time.now = at
            if kind == "tick":
                self._tick(log, intents, push)
            elif kind == "answer":
                self._answer(log, intents, batch)
            elif kind in ("rsvp", "here"):
                self._office_hours(log, kind, batch)
            else:
                self._owner_clicks(log, batch)
        self._read_back(log)
        self.record.weeks.append(log)
        return log

    def _intents(self, number: int) -> dict[str, _Intent]:
        """Everyone's plan for the week, drawn from their profile; enough people answer."""
        base = f"atlas-demo/{self.scenario.name}/{self.seed}/week{number}"
        intents = {}
        for seat in self.cast.seats:
            profile = self.cast.profiles[seat.user_id]
            rng = random.Random(f"{base}/{seat.user_id}")
            intents[seat.user_id] = _Intent(
                respond=rng.random() < profile.respond,
                prompt=rng.random() < profile.prompt,
                usage=rng.choice(profile.usage),
                delay=rng.choice(PROMPT_DELAYS),
                skip_tools=rng.random() < 0.1,
                saved=rng.randrange(2),
            )
        # Some weeks many skip; never so many that the answers fall under the group size.
        floor = min(len(intents), self.record.min_group_size + 2)
        silent = [uid for uid, i in intents.items() if not i.respond]
        random.Random(f"{base}/floor").shuffle(silent)
        while len(intents) - len(silent) < floor:
            uid = silent.pop()
            intents[uid] = replace(intents[uid], respond=True)
        return intents

    def _tick(self, log: WeekLog, intents: dict[str, _Intent], push: Push) -> None:
        now = self.time.now
        tick(db=self.db, caller=self.caller, now=now, clock=self.time)
        if log.closes_at is None:
            with self.db.unit_of_work() as session:
                opened = pulse_repo.open_rounds(session=session, team_id=self.team_id)
                rnd = next((r for r in opened if r.local_date == log.local_date), None)
                if rnd is not None:
                    log.round_number, log.closes_at = rnd.number, rnd.closes_at
            if log.closes_at is not None:
                push(log.closes_at, "tick")
        for message in self._new_posts(HELP_CHANNEL):
            buttons = {b.get("action_id") for b in _buttons(message)}
            if "office_hours.rsvp" in buttons:
                log.office_hours.append((now, "office hours announced in #ai-help"))
                push(now + RSVP_DELAY, "rsvp", message["ts"])
            elif "office_hours.here" in buttons:
                log.office_hours.append((now, "“starting in 15 minutes” posted in #ai-help"))
                push(now + HERE_DELAY, "here", message["ts"])
        for seat in self.cast.seats:
            for message in self._new_dms(seat.user_id):
                kind = (message.get("metadata") or {}).get("event_type")
                if kind == "atlas_pulse":
                    self._pulse_arrived(log, seat, message, intents[seat.user_id], push)
                elif kind == "atlas_reminder" and seat.user_id in log.pulses:
                    log.pulses[seat.user_id].reminded_at = now
                elif seat is self.cast.owner:
                    note = _note(now, message)
                    log.notes.append(note)
                    if note.kind in ("alert", "worse", "check-in"):
                        push(now + OWNER_DELAY, "owner", message["ts"])

    def _pulse_arrived(
        self, log: WeekLog, seat: Seat, message: dict[str, Any], intent: _Intent, push: Push
    ) -> None:
        now = self.time.now
        log.pulses[seat.user_id] = PulseLog(sent_at=now, questions=_questions(message))
        closes = log.closes_at or now + timedelta(days=4)
        reminder = None
        if self.reminder_hours is not None:
            reminder = out_of_quiet_hours(
                now + timedelta(hours=self.reminder_hours), zone(seat.tz), *self.quiet
            )
            if reminder < closes:
                push(reminder, "tick")
        if not intent.respond:
            return
        if intent.prompt or reminder is None:
            answer_at = now + timedelta(hours=intent.delay)
        else:
            answer_at = reminder + timedelta(hours=REMINDED_DELAYS[intent.delay % 3])
        if answer_at < closes:
            push(answer_at, "answer", seat.user_id)

    def _new_dms(self, user_id: str) -> list[dict[str, Any]]:
        return self._new_posts(self.slack.dm_channel(user_id))

    def _new_posts(self, channel: str) -> list[dict[str, Any]]:
        messages = self.slack.messages_in(channel)
        seen = self._seen.get(channel, 0)
        self._seen[channel] = len(messages)
        return messages[seen:]

    def _office_hours(self, log: WeekLog, kind: str, timestamps: list[str]) -> None:
        """People say they will come (some of them), then that they are there."""
        rng = random.Random(f"atlas-demo/{self.scenario.name}/{self.seed}/oh{log.number}/{kind}")
        if kind == "rsvp":
            who = [s for s in self.cast.seats if rng.random() < self.scenario.rsvp]
            action_id, names = "office_hours.rsvp", log.rsvps
        else:
            going = set(log.rsvps)
            who = [s for s in self.cast.seats if s.name in going and rng.random() < 0.85]
            action_id, names = "office_hours.here", log.attended
        sent = 0
        for ts in timestamps:
            message = self.slack.message(HELP_CHANNEL, ts)
            button = next((b for b in _buttons(message or {}) if b["action_id"] == action_id), None)
            if message is None or button is None:
                continue
            for seat in who:
                action = {
                    "type": "button",
                    "action_id": action_id,
                    "value": button["value"],
                    "block_id": "office_hours",
                    "text": button["text"],
                }
                reply = self.sender.block_action(
                    action, user_id=seat.user_id, message=message, channel_id=HELP_CHANNEL
                )
                sent += 1
                self.record.clicks.office_hours += 1
                self._sent(reply.status)
                names.append(seat.name)
        self._await_replies(sent)
        verb = "said they would come" if kind == "rsvp" else "clicked “I'm here”"
        log.office_hours.append(
            (self.time.now, f"{len(names)} {verb}" + (f": {', '.join(names)}" if names else ""))
        )

    # --- clicks --------------------------------------------------------------------------------
    def _answer(self, log: WeekLog, intents: dict[str, _Intent], user_ids: list[str]) -> None:
        """Everyone answering at this moment clicks through their pulse, as they see it."""
        sent = 0
        for user_id in user_ids:
            pulse = log.pulses[user_id]
            person = Person(user_id, self.slack, self.sender)
            message = person.latest_pulse()
            if message is None:
                continue
            profile = self.cast.profiles[user_id]
            for question_id, _ in pulse.questions:
                choice = self._choose(profile, intents[user_id], question_id, message)
                if choice is None:
                    continue
                value, shown = choice
                reply = person.answer(question_id, value, message=message)
                sent += 1
                self.record.clicks.answers += 1
                self._sent(reply.status)
                pulse.answers.append((question_id, shown))
            pulse.answered_at = self.time.now
        self._await_replies(sent)

    def _choose(
        self, profile: Profile, intent: _Intent, question_id: str, message: dict[str, Any]
    ) -> tuple[str | list[str], str] | None:
        """(the value to click, the answer as it reads) for one question, or None to skip it."""
        block, element = find_element(message["blocks"], question_id)
        if question_id == "ai_frequency":
            value: str | list[str] | None = intent.usage
        elif question_id == "ai_tools":
            offered = {o["value"] for o in element.get("options", [])}
            tools = [t for t in profile.tools if t in offered]
            used = intent.usage != "none" and not intent.skip_tools
            value = tools if used and tools else None
        elif question_id == "time_saved":
            value = TIME_SAVED[intent.usage][intent.saved]
        elif question_id == "go_to_person":
            value = profile.go_to
        else:
            value = profile.answer(question_id)
        if value is None:
            return None
        try:
            action = click_payload(block, element, value)
        except LookupError:
            return None  # not an answer this pulse offers
        if "text" in action:
            shown = action["text"]["text"]
        elif "selected_options" in action:
            shown = ", ".join(o["text"]["text"] for o in action["selected_options"])
        else:
            shown = f"→ {self.record.name(str(value))}"
        return value, shown

    def _owner_clicks(self, log: WeekLog, timestamps: list[str]) -> None:
        """The owner acknowledges the alerts they got and answers the weekly check-in."""
        owner_id = self.cast.owner.user_id
        channel = self.slack.dm_channel(owner_id)
        rng = random.Random(f"atlas-demo/{self.scenario.name}/{self.seed}/owner{log.number}")
        shipped = "yes" if log.number == 1 or rng.random() < 0.5 else "no"
        sent = 0
        for ts in timestamps:
            message = self.slack.message(channel, ts)
            if message is None:
                continue
            wanted = {"finding.ack": "", "check_in.on_track": self.scenario.on_track}
            wanted["check_in.shipped"] = shipped
            clicked = []
            for block in message.get("blocks") or []:
                if block.get("type") != "actions":
                    continue
                for button in block.get("elements", []):
                    action_id = str(button.get("action_id", ""))
                    base, _, key = action_id.rpartition(".")
                    if action_id == "finding.ack":
                        base, key = action_id, ""
                    if base not in wanted or wanted[base] != key:
                        continue
                    action = {
                        "type": "button",
                        "action_id": action_id,
                        "value": button["value"],
                        "block_id": block.get("block_id", "owner"),
                        "text": button["text"],
                    }
                    reply = self.sender.block_action(
                        action, user_id=owner_id, message=message, channel_id=channel
                    )
                    sent += 1
                    self._sent(reply.status)
                    clicked.append(button["text"]["text"])
                    break
                # One click at a time: each reply replaces the message it was made on.
                self._await_replies(sent)
                sent = 0
                message = self.slack.message(channel, ts) or message
            header = next(
                (b["text"]["text"] for b in message.get("blocks") or [] if b["type"] == "header"),
                "",
            )
            name, now = self.cast.owner.name, self.time.now
            if " · " in header and clicked:
                log.acknowledged.append(header.split(" · ")[0])
                log.owner_clicks.append((now, f"{name} clicked Acknowledge on “{header}”."))
            elif clicked:
                log.owner_clicks.append(
                    (
                        now,
                        f"{name} answered the check-in: on track? {clicked[0]} · shipped "
                        f"anything? {clicked[-1]}.",
                    )
                )

    def _sent(self, status: int) -> None:
        self.record.clicks.sent += 1
        if status == 200:
            self.record.clicks.accepted += 1
            self._expected_replies += 1
        else:
            self.record.clicks.refused.append(f"HTTP {status}")

    def _await_replies(self, sent: int) -> None:
        """Wait (real time) until the app has handled every click it acknowledged."""
        if not sent:
            return
        if not poll_until(
            lambda: len(self.slack.responses) >= self._expected_replies,
            REPLY_TIMEOUT,
            interval=0.002,
        ):
            raise DemoError(
                f"the app handled {len(self.slack.responses)} of {self._expected_replies} "
                f"clicks within {REPLY_TIMEOUT:.0f} s"
            )

    # --- reading back what the app stored -------------------------------------------------------
    def _read_back(self, log: WeekLog) -> None:
        now = self.time.now
        _, snapshot, current = diagnosis.current(db=self.db, team_id=self.team_id, now=now)
        log.rollout_day = snapshot.rollout_day
        log.live_stages = tuple(sorted(current.live_stages))
        stats = next((r for r in snapshot.rounds if r.local_date == log.local_date), None)
        if stats is not None:
            log.asked, log.answered = stats.invited, stats.respondents
            log.usage = dict(stats.answers.get("ai_frequency", {}))
        stored = self.owner_view()
        if stored is not None:
            log.statuses = {f.mode_id: f.status.value for f in stored.findings}

    def owner_view(self) -> Diagnosis | None:
        """The stored diagnosis, as the owner's own view of the team shows it."""
        views = owner.views(
            db=self.db,
            slack_team_id=self.slack.team_id,
            user_id=self.cast.owner.user_id,
            now=self.time.now,
        )
        view = next((v for v in views if v.team_id == self.team_id), None)
        return view.diagnosis if view else None

    def finish(self) -> Record:
        """The final diagnosis and the click tally, once every week has run."""
        self.record.final = self.owner_view()
        self.record.clicks.replies = len(self.slack.responses)
        self.record.clicks.refused += [
            str(r.get("text", ""))[:200]
            for r in self.slack.responses
            if (r.get("replace_original") is False or r.get("response_type") == "ephemeral")
            and not str(r.get("text", "")).startswith(OFFICE_HOURS_REPLIES)
        ]
        self.record.charts = sum(
            c.params.get("channel_id") == self.slack.dm_channel(self.cast.owner.user_id)
            for c in self.slack.calls_to("files.completeUploadExternal")
        )
        self.record.paced_seconds = self.time.paced
        return self.record

    # --- /atlas --------------------------------------------------------------------------------
    def command(self, seat: Seat, text: str, *, record: bool = True) -> tuple[int, str]:
        """Type `/atlas text` as this person; (HTTP status, the reply as text)."""
        reply = self.sender.command(text, user_id=seat.user_id)
        rendered = reply.text
        if reply.status == 200 and reply.text:
            body = reply.json or {}
            rendered = blocks_to_text(body.get("blocks") or []) or str(body.get("text", ""))
        if record:
            self.record.commands.append((seat, text, reply.status, rendered))
        return reply.status, rendered

    def open_home(self, seat: Seat) -> None:
        """Open the app's Home tab as this person (a signed app_home_opened event)."""
        before = len(self.slack.calls_to("views.publish"))
        event = {"type": "app_home_opened", "user": seat.user_id, "tab": "home"}
        if self.sender.event(event).status != 200:
            raise DemoError("the Home tab event was not accepted")
        _wait(lambda: self.slack.calls_to("views.publish")[before:], "the Home tab")
        view = self.slack.published_view(seat.user_id) or {}
        self.record.homes.append((seat, blocks_to_text(view.get("blocks") or [])))


def _questions(message: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The questions of a pulse DM, in order: (question id, text as shown)."""
    found: list[tuple[str, str]] = []
    text = ""
    for block in message.get("blocks") or []:
        if block.get("type") == "section":
            matched = _QUESTION.match((block.get("text") or {}).get("text", ""))
            if matched:
                text = matched.group(1)
        elif block.get("type") == "actions" and str(block.get("block_id", "")).startswith("pulse|"):
            found.append((block["block_id"].split("|")[-1], text))
    return tuple(found)


def _note(at: datetime, message: dict[str, Any]) -> OwnerNote:
    """Classify a DM other than a pulse or reminder, and render it as text."""
    blocks = message.get("blocks") or []
    text = str(message.get("text", ""))
    header = next((b["text"]["text"] for b in blocks if b.get("type") == "header"), "")
    mode_id = header.split(" · ")[0] if " · " in header else None
    if mode_id and "is getting worse" in text:
        kind = "worse"
    elif mode_id and "detected" in text:
        kind = "alert"
    elif text.startswith("Diagnosis for "):
        kind = "digest"
    elif "has cleared" in text:
        kind, mode_id = "cleared", _cleared_mode(text)
    elif header == "Recovery needed":
        kind = "recovery"
    elif any(str(b.get("block_id", "")).startswith("check_in|") for b in blocks):
        kind = "check-in"
    else:
        kind = "note"
    return OwnerNote(at, kind, mode_id, blocks_to_text(blocks) or text)


def _cleared_mode(text: str) -> str | None:
    matched = re.search(r"failure mode (\d\.\d+)", text)
    return matched.group(1) if matched else None


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Every button of a message, in order."""
    return [
        element
        for block in message.get("blocks") or []
        for element in ([block.get("accessory")] if block.get("accessory") else [])
        + list(block.get("elements") or [])
        if isinstance(element, dict) and element.get("type") == "button"
    ]


def _wait(check: Callable[[], Any], what: str) -> Any:
    """Wait (real time) for the app's work after an ack; its result once truthy."""
    last: dict[str, Any] = {}

    def ready() -> bool:
        last["found"] = check()
        return bool(last["found"])

    if not poll_until(ready, REPLY_TIMEOUT):
        raise DemoError(f"the app did not finish {what} within {REPLY_TIMEOUT:.0f} s")
    return last["found"]


def _clock(when: datetime) -> str:
    """A time in the team's zone, as the transcript shows it."""
    return when.astimezone(zone(TEAM_ZONE)).strftime("%a %-d %b %H:%M")
