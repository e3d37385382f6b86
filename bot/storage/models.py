"""SQLAlchemy 2 models. Every table hangs off a Slack workspace (its team_id) from day one."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

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

    team: Mapped[Team] = relationship(back_populates="members")
