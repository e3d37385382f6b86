"""The plain data the diagnosis works on (a team snapshot) and produces (findings).

A snapshot holds aggregates only, plus the individual usage of the people whose own use is the
signal (AI lead, executive sponsor, a workflow's owner), and of those only the answers given
under the pulse's notice for that role. Nothing here knows about Slack or a database.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from atlas.taxonomy import RecoveryStep


class Status(enum.StrEnum):
    """What a rule concluded."""

    DETECTED = "detected"
    WATCH = "watch"  # leaning that way, not yet enough to alert
    CLEARED = "cleared"  # detected as of the previous round, no longer
    OK = "ok"  # looked, nothing there
    NOT_ENOUGH_DATA = "not_enough_data"


class Notice(enum.StrEnum):
    """A role whose pulse said that its holder's usage answer is read on its own, for the role.

    The answer is stored with the notices its person was shown; a rule reads a person's answer
    for a role only when that role's notice is among them.
    """

    AI_LEAD = "ai_lead"
    EXECUTIVE_SPONSOR = "executive_sponsor"
    WORKFLOW_OWNER = "workflow_owner"


class Source(enum.StrEnum):
    """Where a finding comes from."""

    SIGNAL = "signal"  # pulse answers, workflows, office hours, check-ins
    SELF_ASSESSMENT = "self_assessment"  # the owner marked it in /atlas check


@dataclass(frozen=True)
class RoundStats:
    """One pulse round of one team, aggregated.

    `answers[question_id][option_key]` counts respondents who chose an option (a multi-select
    counts each chosen option). `go_to[user_id]` counts how many named that person as their AI
    help. `role_usage[role]` is the `ai_frequency` option key the AI lead / executive sponsor
    chose ("none", "few", "several", "daily"), only when they answered under the pulse's notice
    for that role (`Notice`). `confidential` holds the tallies of confidential questions.
    `answerers[question_id]` counts the people who answered that question at all (someone who
    picked three tools counts once): the group every figure about the question comes from, so
    the one tested against the team's minimum group size.
    """

    local_date: date
    closed: bool
    invited: int
    respondents: int
    answers: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    go_to: Mapping[str, int] = field(default_factory=dict)
    role_usage: Mapping[str, str] = field(default_factory=dict)
    confidential: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    answerers: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Workflow:
    """An AI workflow in the team's registry."""

    name: str
    owner_user_id: str | None
    shipped_on: date | None
    minutes_before: int | None  # the baseline; None when nobody measured it
    minutes_after: int | None
    # From the owner's latest usage answer given under the workflow-owner notice; None if none.
    owner_uses_it: bool | None = None


@dataclass(frozen=True)
class CheckIn:
    """The owner's weekly check-in: None answers mean it was sent and not answered."""

    week_of: date
    answered: bool
    on_track: bool | None = None
    shipped_something: bool | None = None


@dataclass(frozen=True)
class OfficeHoursWeek:
    """One week's office hours."""

    week_of: date
    held: bool  # announced in the channel (a holiday week is left out, not counted as missed)
    attendees: int  # people who said they were there
    rsvps: int = 0  # people who said they would come


@dataclass(frozen=True)
class Mark:
    """The owner's self-assessment of one mode in /atlas check."""

    applies: bool
    marked_on: date
    note: str = ""  # the pre-mortem: "what we are doing to avoid it"


@dataclass(frozen=True)
class RecoveryWindow:
    """A 60-day recovery window opened when two or more modes hit one stage."""

    opened_on: date
    stages: tuple[int, ...]
    baseline_detected: int  # how many modes were detected when it opened
    baseline_usage_share: float | None  # share of respondents using AI at all, then


@dataclass(frozen=True)
class TeamSnapshot:
    """Everything the diagnosis may look at for one team, at `now`."""

    now: datetime
    rollout_start: date | None
    min_group_size: int
    member_count: int
    roles: Mapping[str, tuple[str, ...]]  # "owner" / "ai_lead" / "executive_sponsor" → ids
    rounds: tuple[RoundStats, ...]  # oldest first
    tool_count: int = 0  # tools on the team's list
    workflows: tuple[Workflow, ...] | None = None  # None: the registry is not in use
    check_ins: tuple[CheckIn, ...] | None = None  # None: no check-ins sent yet
    office_hours: tuple[OfficeHoursWeek, ...] | None = None
    marks: Mapping[str, Mark] = field(default_factory=dict)  # mode id → mark
    recovery: RecoveryWindow | None = None

    @property
    def rollout_day(self) -> int | None:
        """Days since the rollout started (0 on the day), or None when no date is set."""
        if self.rollout_start is None:
            return None
        return (self.now.date() - self.rollout_start).days


@dataclass(frozen=True)
class Finding:
    """What one rule concluded about one mode, with the numbers behind it."""

    mode_id: str
    stage: int
    status: Status
    evidence: str  # one or two plain sentences with exact numbers
    sample: int  # how many answers (or weeks, or workflows) it rests on
    confidence: float  # 0..1
    since: date | None = None  # first round of the current run of detections
    severity: float = 0.0  # larger is worse; an alert repeats only when this grows
    source: Source = Source.SIGNAL
    individual: bool = False  # the evidence names a named role's own answers


@dataclass(frozen=True)
class RecoveryCheck:
    """The day-60 verdict of a recovery window."""

    day: int
    improved: bool
    summary: str
    next_step: str | None  # the atlas's next move when still flat


@dataclass(frozen=True)
class Cadence:
    """Recovery step 4, the weekly cadence, over the team's last few non-holiday weeks.

    Weeks with no office hours or no check-in on record count as not held / not answered.
    """

    weeks: int  # the window: the last 4 weeks
    office_hours_held: int  # weeks whose office hours were announced
    office_hours_attended: int  # of those, weeks with at least one person there
    median_attendance: float | None  # over the weeks held; None when none was
    check_ins_answered: int  # of the last `weeks` check-ins sent
    on_cadence: bool

    @property
    def summary(self) -> str:
        """One plain sentence with the numbers."""
        held = f"office hours held {self.office_hours_held} of the last {self.weeks} weeks"
        if self.median_attendance is not None:
            held += f" (median attendance {self.median_attendance:g})"
        answered = f"the owner's check-in answered {self.check_ins_answered} of {self.weeks}"
        verdict = "on cadence" if self.on_cadence else "not on cadence yet"
        return f"Weekly cadence: {held}; {answered}: {verdict}."


@dataclass(frozen=True)
class Diagnosis:
    """All findings for a team, and whether recovery is needed."""

    findings: tuple[Finding, ...]
    live_stages: frozenset[int]
    recovery_stages: tuple[int, ...]  # stages with two or more detected modes
    recovery_plan: tuple[RecoveryStep, ...] = ()
    recovery_check: RecoveryCheck | None = None
    cadence: Cadence | None = None  # None while the team has neither office hours nor check-ins

    @property
    def recovery_needed(self) -> bool:
        """The atlas's rule: two or more modes in one stage."""
        return bool(self.recovery_stages)

    def finding(self, mode_id: str) -> Finding | None:
        """The finding for one mode, if a rule or a mark produced one."""
        return next((f for f in self.findings if f.mode_id == mode_id), None)

    def detected(self) -> tuple[Finding, ...]:
        """Findings that are detected."""
        return tuple(f for f in self.findings if f.status is Status.DETECTED)
