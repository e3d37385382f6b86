"""pulse: schedules, rounds, deliveries, answers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision.

    Columns added to existing tables get server defaults so that rows already there are valid.
    """
    op.create_table(
        "pulse_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "closed",
                "missed",
                name="round_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("rotating_question_id", sa.String(length=40), nullable=True),
        sa.Column("disabled_questions", sa.JSON(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("owner_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=40), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_pulse_rounds_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_pulse_rounds_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulse_rounds")),
        sa.UniqueConstraint(
            "team_id", "local_date", name=op.f("uq_pulse_rounds_team_id_local_date")
        ),
    )
    with op.batch_alter_table("pulse_rounds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pulse_rounds_team_id"), ["team_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_pulse_rounds_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "team_holidays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_holidays_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_holidays")),
        sa.UniqueConstraint("team_id", "day", name=op.f("uq_team_holidays_team_id_day")),
    )
    with op.batch_alter_table("team_holidays", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_holidays_team_id"), ["team_id"], unique=False)

    op.create_table(
        "team_question_settings",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_question_settings_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "question_id", name=op.f("pk_team_question_settings")),
    )
    op.create_table(
        "team_tools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=75), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_team_tools_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_tools")),
        sa.UniqueConstraint("team_id", "key", name=op.f("uq_team_tools_team_id_key")),
    )
    with op.batch_alter_table("team_tools", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_tools_team_id"), ["team_id"], unique=False)

    op.create_table(
        "confidential_tallies",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=40), nullable=False),
        sa.Column("question_version", sa.Integer(), nullable=False),
        sa.Column("option_key", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["pulse_rounds.id"],
            name=op.f("fk_confidential_tallies_round_id_pulse_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "round_id",
            "question_id",
            "question_version",
            "option_key",
            name=op.f("pk_confidential_tallies"),
        ),
    )
    op.create_table(
        "pulse_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "sending",
                "sent",
                "retry",
                "ambiguous",
                "failed",
                "skipped",
                name="delivery_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("detail", sa.String(length=120), nullable=True),
        sa.Column("question_ids", sa.JSON(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=40), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "reminder_status",
            sa.Enum(
                "sending",
                "sent",
                "retry",
                "ambiguous",
                "failed",
                "skipped",
                name="reminder_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("reminder_ts", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_pulse_deliveries_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["pulse_rounds.id"],
            name=op.f("fk_pulse_deliveries_round_id_pulse_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_pulse_deliveries_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulse_deliveries")),
        sa.UniqueConstraint(
            "round_id", "member_id", name=op.f("uq_pulse_deliveries_round_id_member_id")
        ),
    )
    with op.batch_alter_table("pulse_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pulse_deliveries_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pulse_deliveries_round_id"), ["round_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pulse_deliveries_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "confidential_responses",
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["pulse_deliveries.id"],
            name=op.f("fk_confidential_responses_delivery_id_pulse_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "delivery_id", "question_id", name=op.f("pk_confidential_responses")
        ),
    )
    op.create_table(
        "pulse_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=40), nullable=False),
        sa.Column("question_version", sa.Integer(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["pulse_deliveries.id"],
            name=op.f("fk_pulse_answers_delivery_id_pulse_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulse_answers")),
        sa.UniqueConstraint(
            "delivery_id", "question_id", name=op.f("uq_pulse_answers_delivery_id_question_id")
        ),
    )
    with op.batch_alter_table("pulse_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pulse_answers_delivery_id"), ["delivery_id"], unique=False
        )

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_bot", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("is_deleted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("is_guest", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("profile_synced_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("paused_until", sa.Date(), nullable=True))

    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pulse_enabled", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column("pulse_weekday", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("pulse_time", sa.Time(), nullable=False, server_default="10:00:00")
        )
        batch_op.add_column(
            sa.Column(
                "working_days", sa.String(length=20), nullable=False, server_default="0,1,2,3,4"
            )
        )
        batch_op.add_column(
            sa.Column("quiet_start", sa.Time(), nullable=False, server_default="19:00:00")
        )
        batch_op.add_column(
            sa.Column("quiet_end", sa.Time(), nullable=False, server_default="08:00:00")
        )
        batch_op.add_column(
            sa.Column("reminder_delay_hours", sa.Integer(), nullable=True, server_default="24")
        )
        batch_op.add_column(
            sa.Column("close_after_days", sa.Integer(), nullable=False, server_default="4")
        )
        batch_op.add_column(
            sa.Column("catchup_grace_hours", sa.Integer(), nullable=False, server_default="12")
        )
        batch_op.add_column(
            sa.Column("include_guests", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("include_guests")
        batch_op.drop_column("catchup_grace_hours")
        batch_op.drop_column("close_after_days")
        batch_op.drop_column("reminder_delay_hours")
        batch_op.drop_column("quiet_end")
        batch_op.drop_column("quiet_start")
        batch_op.drop_column("working_days")
        batch_op.drop_column("pulse_time")
        batch_op.drop_column("pulse_weekday")
        batch_op.drop_column("pulse_enabled")

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("paused_until")
        batch_op.drop_column("paused")
        batch_op.drop_column("profile_synced_at")
        batch_op.drop_column("is_guest")
        batch_op.drop_column("is_deleted")
        batch_op.drop_column("is_bot")

    with op.batch_alter_table("pulse_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pulse_answers_delivery_id"))

    op.drop_table("pulse_answers")
    op.drop_table("confidential_responses")
    with op.batch_alter_table("pulse_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pulse_deliveries_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_pulse_deliveries_round_id"))
        batch_op.drop_index(batch_op.f("ix_pulse_deliveries_member_id"))

    op.drop_table("pulse_deliveries")
    op.drop_table("confidential_tallies")
    with op.batch_alter_table("team_tools", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_tools_team_id"))

    op.drop_table("team_tools")
    op.drop_table("team_question_settings")
    with op.batch_alter_table("team_holidays", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_holidays_team_id"))

    op.drop_table("team_holidays")
    with op.batch_alter_table("pulse_rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pulse_rounds_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_pulse_rounds_team_id"))

    op.drop_table("pulse_rounds")
