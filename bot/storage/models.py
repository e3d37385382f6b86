"""SQLAlchemy 2 models. Every table hangs off a Slack workspace (its team_id) from day one."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Time,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import true as sa_true

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MIN_GROUP_SIZE_RANGE = (3, 10)
DEFAULT_MIN_GROUP_SIZE = 5


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always hands back aware UTC values (SQLite forgets)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _str_enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    # Stored as the value string with a CHECK constraint: portable across SQLite and PostgreSQL
    # and cheap to extend in a migration.
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    """Declarative base with a naming convention so constraints have stable names."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Role(enum.StrEnum):
    """A member's role in a team's rollout."""

    OWNER = "owner"
    AI_LEAD = "ai_lead"
    EXECUTIVE_SPONSOR = "executive_sponsor"
    MEMBER = "member"


class TeamSource(enum.StrEnum):
    """Where a team's membership comes from."""

    CHANNEL = "channel"
    USERGROUP = "usergroup"


class Workspace(Base):
    """A Slack workspace the app is installed in (Slack calls its id `team_id`)."""

    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slack_team_id: Mapped[str] = mapped_column(String(32), unique=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(255))
    bot_user_id: Mapped[str | None] = mapped_column(String(32))
    bot_id: Mapped[str | None] = mapped_column(String(32))
    installed_by_user_id: Mapped[str | None] = mapped_column(String(32))
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    teams: Mapped[list[Team]] = relationship(
        back_populates="workspace", cascade="all, delete-orphan", passive_deletes=True
    )


class Team(Base):
    """A group of people whose AI rollout is followed: a channel's or a user group's members."""

    __tablename__ = "teams"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        CheckConstraint(
            f"min_group_size >= {MIN_GROUP_SIZE_RANGE[0]} "
            f"AND min_group_size <= {MIN_GROUP_SIZE_RANGE[1]}",
            name="min_group_size_range",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    source_kind: Mapped[TeamSource | None] = mapped_column(_str_enum(TeamSource, "team_source"))
    source_id: Mapped[str | None] = mapped_column(String(32))
    rollout_start: Mapped[date | None] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    min_group_size: Mapped[int] = mapped_column(Integer, default=DEFAULT_MIN_GROUP_SIZE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # The weekly pulse. Times are local: each member's own zone, the team's for the round.
    pulse_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    pulse_weekday: Mapped[int] = mapped_column(Integer, default=0)  # Monday
    pulse_time: Mapped[time] = mapped_column(Time, default=time(10, 0))
    working_days: Mapped[str] = mapped_column(String(20), default="0,1,2,3,4")
    quiet_start: Mapped[time] = mapped_column(Time, default=time(19, 0))
    quiet_end: Mapped[time] = mapped_column(Time, default=time(8, 0))
    reminder_delay_hours: Mapped[int | None] = mapped_column(Integer, default=24)  # None: off
    close_after_days: Mapped[int] = mapped_column(Integer, default=4)
    catchup_grace_hours: Mapped[int] = mapped_column(Integer, default=12)
    include_guests: Mapped[bool] = mapped_column(Boolean, default=False)
    # Diagnosis: whether people other than the owner may see the summary in /atlas status.
    share_summary: Mapped[bool] = mapped_column(Boolean, default=False)
    configured_by: Mapped[str | None] = mapped_column(String(32))  # who set the team up
    digest_sent_on: Mapped[date | None] = mapped_column(Date)
    # Membership follows the channel or user group; last full sync of its member list.
    members_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Weekly office hours in the team's zone; off while no channel is set.
    office_hours_channel_id: Mapped[str | None] = mapped_column(String(32))
    office_hours_weekday: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    office_hours_time: Mapped[time] = mapped_column(
        Time, default=time(15, 0), server_default="15:00:00"
    )
    office_hours_minutes: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    # The owner's weekly check-in DM, in the team's zone.
    check_in_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    check_in_weekday: Mapped[int] = mapped_column(Integer, default=4, server_default="4")
    check_in_time: Mapped[time] = mapped_column(
        Time, default=time(14, 0), server_default="14:00:00"
    )

    workspace: Mapped[Workspace] = relationship(back_populates="teams")
    members: Mapped[list[Member]] = relationship(
        back_populates="team", cascade="all, delete-orphan", passive_deletes=True
    )


class Member(Base):
    """A person in a team. Rows are deactivated, never deleted, so history stays."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("team_id", "slack_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    slack_user_id: Mapped[str] = mapped_column(String(32), index=True)
    timezone: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[Role] = mapped_column(_str_enum(Role, "member_role"), default=Role.MEMBER)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What Slack says of the person (users.info / users.list), refreshed before each round.
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    is_guest: Mapped[bool] = mapped_column(Boolean, default=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)  # a Slack workspace admin
    profile_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Vacation: paused with no end date until /atlas resume, or until paused_until (inclusive).
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_until: Mapped[date | None] = mapped_column(Date)

    team: Mapped[Team] = relationship(back_populates="members")


class TeamHoliday(Base):
    """A day the team does not work: no pulse, no office hours."""

    __tablename__ = "team_holidays"
    __table_args__ = (UniqueConstraint("team_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str | None] = mapped_column(String(80))


class TeamTool(Base):
    """An AI tool on the team's list, offered in the "which tools" question."""

    __tablename__ = "team_tools"
    __table_args__ = (UniqueConstraint("team_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(75))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class TeamQuestionSetting(Base):
    """A question the team switched off (or back on)."""

    __tablename__ = "team_question_settings"
    __table_args__ = (PrimaryKeyConstraint("team_id", "question_id"),)

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class RoundStatus(enum.StrEnum):
    """Where a pulse round is."""

    OPEN = "open"
    CLOSED = "closed"
    MISSED = "missed"  # its time passed beyond the catch-up grace (e.g. during downtime)


class DeliveryStatus(enum.StrEnum):
    """The delivery ledger: what we know of one person's DM in one round."""

    SENDING = "sending"  # claimed; the request may be in flight
    SENT = "sent"  # Slack answered ok; ts stored
    RETRY = "retry"  # Slack refused it for now (5xx, rate limit); not delivered; try later
    AMBIGUOUS = "ambiguous"  # may or may not have arrived: checked before any new attempt
    FAILED = "failed"  # Slack refused it for good (e.g. user_not_found)
    SKIPPED = "skipped"  # not sent on purpose (paused, deactivated, bot, guest)


class PulseRound(Base):
    """The occurrence ledger: one row per team per round, unique on the team's local date."""

    __tablename__ = "pulse_rounds"
    __table_args__ = (UniqueConstraint("team_id", "local_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    local_date: Mapped[date] = mapped_column(Date)
    number: Mapped[int] = mapped_column(Integer)  # 0, 1, 2… in the team's history
    status: Mapped[RoundStatus] = mapped_column(_str_enum(RoundStatus, "round_status"))
    rotating_question_id: Mapped[str | None] = mapped_column(String(40))
    disabled_questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())  # pulse time in the team's zone
    manual: Mapped[bool] = mapped_column(Boolean, default=False)  # started by hand: due at once
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    owner_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Only one fan-out at a time per round; a dead holder's lease simply runs out.
    lease_owner: Mapped[str | None] = mapped_column(String(40))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Delivery(Base):
    """The delivery ledger: one row per (round, member), claimed before the DM is sent."""

    __tablename__ = "pulse_deliveries"
    __table_args__ = (UniqueConstraint("round_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int] = mapped_column(
        ForeignKey("pulse_rounds.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    status: Mapped[DeliveryStatus] = mapped_column(_str_enum(DeliveryStatus, "delivery_status"))
    detail: Mapped[str | None] = mapped_column(String(120))  # skip reason or last error
    question_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # who responded
    reminder_status: Mapped[DeliveryStatus | None] = mapped_column(
        _str_enum(DeliveryStatus, "reminder_status")
    )
    reminder_ts: Mapped[str | None] = mapped_column(String(32))


class Answer(Base):
    """One answer to one question in one delivery. Confidential questions never land here."""

    __tablename__ = "pulse_answers"
    __table_args__ = (UniqueConstraint("delivery_id", "question_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("pulse_deliveries.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(40))
    question_version: Mapped[int] = mapped_column(Integer)
    value: Mapped[list[str]] = mapped_column(JSON)  # option keys, or a user id
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # The roles (`atlas.diagnosis.model.Notice` values, space-separated) whose notice the pulse
    # showed when this usage answer was given: only then may a rule read it on its own.
    role_notice: Mapped[str | None] = mapped_column(String(80))


class ConfidentialResponse(Base):
    """Who answered a confidential question (needed for reminders and double clicks).

    Written in a transaction of its own: nothing about what was answered is written with it.
    """

    __tablename__ = "confidential_responses"
    __table_args__ = (PrimaryKeyConstraint("delivery_id", "question_id"),)

    delivery_id: Mapped[int] = mapped_column(ForeignKey("pulse_deliveries.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(40))


class ConfidentialPending(Base):
    """A confidential answer waiting for its round to close, sealed (`bot.storage.sealing`).

    Only the round is in the clear. No person, no time, and a random id, so that neither the
    order of ids nor of rows on disk follows the order of the answers.
    """

    __tablename__ = "confidential_pending"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("pulse_rounds.id", ondelete="CASCADE"), index=True
    )
    sealed: Mapped[str] = mapped_column(String(400))


class ConfidentialTally(Base):
    """What was answered to a confidential question: counts per option, per round, nothing else.

    Written once, when the round closes, from all of its sealed answers at once.
    """

    __tablename__ = "confidential_tallies"
    __table_args__ = (
        PrimaryKeyConstraint("round_id", "question_id", "question_version", "option_key"),
    )

    round_id: Mapped[int] = mapped_column(ForeignKey("pulse_rounds.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(40))
    question_version: Mapped[int] = mapped_column(Integer)
    option_key: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(Integer, default=0)


class FindingRecord(Base):
    """The current diagnosis of one mode for one team, and the state of its alert."""

    __tablename__ = "findings"
    __table_args__ = (UniqueConstraint("team_id", "mode_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    mode_id: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(20))
    evidence: Mapped[str] = mapped_column(String(1000))
    sample: Mapped[int] = mapped_column(Integer, default=0)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    severity: Mapped[float] = mapped_column(Float, default=0.0)
    source: Mapped[str] = mapped_column(String(20))
    since: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    detected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    alerted_severity: Mapped[float | None] = mapped_column(Float)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(32))
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    not_applicable: Mapped[bool] = mapped_column(Boolean, default=False)
    not_applicable_by: Mapped[str | None] = mapped_column(String(32))


class SelfAssessment(Base):
    """The owner's mark for one mode in /atlas check, with the pre-mortem note."""

    __tablename__ = "self_assessments"
    __table_args__ = (PrimaryKeyConstraint("team_id", "mode_id"),)

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    mode_id: Mapped[str] = mapped_column(String(8))
    applies: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(3000), default="")
    marked_by: Mapped[str | None] = mapped_column(String(32))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RecoveryWindowRecord(Base):
    """A 60-day recovery window, opened when two or more modes hit one stage."""

    __tablename__ = "recovery_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    opened_on: Mapped[date] = mapped_column(Date)
    stages: Mapped[list[int]] = mapped_column(JSON)
    baseline_detected: Mapped[int] = mapped_column(Integer)
    baseline_usage_share: Mapped[float | None] = mapped_column(Float)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    improved: Mapped[bool | None] = mapped_column(Boolean)
    closed_on: Mapped[date | None] = mapped_column(Date)


class DiagnosisRun(Base):
    """One diagnosis run for one team: when, why, and how it went."""

    __tablename__ = "diagnosis_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    trigger: Mapped[str] = mapped_column(String(20))  # round_closed / manual / check
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    detected: Mapped[int] = mapped_column(Integer, default=0)
    alerts_sent: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(200))


# --- office hours, owner check-ins, the workflow registry (issue: setup and day-to-day) ---------
class SessionStatus(enum.StrEnum):
    """Where one week's office hours are."""

    PLANNED = "planned"  # on the calendar; nothing posted yet
    ANNOUNCED = "announced"  # the weekly reminder with the RSVP button is in the channel
    SKIPPED = "skipped"  # a holiday, or the team switched office hours off


class OfficeHoursSession(Base):
    """One week's office hours: the occurrence ledger, unique on the team's local date."""

    __tablename__ = "office_hours_sessions"
    __table_args__ = (UniqueConstraint("team_id", "local_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    local_date: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    announce_at: Mapped[datetime] = mapped_column(UTCDateTime())
    remind_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[SessionStatus] = mapped_column(_str_enum(SessionStatus, "session_status"))
    detail: Mapped[str | None] = mapped_column(String(120))  # why it was skipped
    channel_id: Mapped[str | None] = mapped_column(String(32))
    announcement_ts: Mapped[str | None] = mapped_column(String(32))
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminder_ts: Mapped[str | None] = mapped_column(String(32))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class OfficeHoursRsvp(Base):
    """Who said they would come, and who said they were there. One row per person per week."""

    __tablename__ = "office_hours_rsvps"
    __table_args__ = (PrimaryKeyConstraint("session_id", "slack_user_id"),)

    session_id: Mapped[int] = mapped_column(
        ForeignKey("office_hours_sessions.id", ondelete="CASCADE")
    )
    slack_user_id: Mapped[str] = mapped_column(String(32))
    going: Mapped[bool] = mapped_column(Boolean, default=True)
    rsvp_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CheckInRecord(Base):
    """The owner's weekly check-in: sent once per team per week, answered by any owner."""

    __tablename__ = "check_ins"
    __table_args__ = (UniqueConstraint("team_id", "week_of"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    week_of: Mapped[date] = mapped_column(Date)  # the Monday of the week
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_to: Mapped[list[str]] = mapped_column(JSON, default=list)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    on_track: Mapped[str | None] = mapped_column(String(10))  # "yes" / "partly" / "no"
    shipped: Mapped[bool | None] = mapped_column(Boolean)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by: Mapped[str | None] = mapped_column(String(32))


class WorkflowRecord(Base):
    """An AI workflow in the team's registry. Removing one archives it (undo brings it back)."""

    __tablename__ = "workflows"
    __table_args__ = (
        UniqueConstraint("team_id", "name"),
        CheckConstraint(
            "minutes_before IS NULL OR minutes_before > 0", name="minutes_before_positive"
        ),
        CheckConstraint(
            "minutes_after IS NULL OR minutes_after > 0", name="minutes_after_positive"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    owner_user_id: Mapped[str | None] = mapped_column(String(32))
    shipped_on: Mapped[date | None] = mapped_column(Date)
    minutes_before: Mapped[int | None] = mapped_column(Integer)
    minutes_after: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ProcessedEvent(Base):
    """Events API deliveries already handled: Slack retries, we do the work once."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class SeenRequest(Base):
    """Signed requests already taken in, kept while Slack's replay window lets them pass the
    signature check: a second copy of one is a replay, whichever process it reaches."""

    __tablename__ = "seen_requests"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class PublishedFigures(Base):
    """A closed round's figures as they were last shown, after the floor: what any later figure
    of the round is compared with, so that two showings never differ by fewer than the floor."""

    __tablename__ = "published_figures"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("pulse_rounds.id", ondelete="CASCADE"), primary_key=True
    )
    figures: Mapped[dict] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
