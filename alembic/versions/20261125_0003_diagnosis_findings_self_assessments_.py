"""diagnosis: findings, self-assessments, recovery windows, runs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "diagnosis_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("detected", sa.Integer(), nullable=False),
        sa.Column("alerts_sent", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_diagnosis_runs_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diagnosis_runs")),
    )
    with op.batch_alter_table("diagnosis_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_diagnosis_runs_team_id"), ["team_id"], unique=False)

    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("mode_id", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("evidence", sa.String(length=1000), nullable=False),
        sa.Column("sample", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("severity", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("alerted_severity", sa.Float(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=32), nullable=True),
        sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("not_applicable", sa.Boolean(), nullable=False),
        sa.Column("not_applicable_by", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_findings_team_id_teams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_findings_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
        sa.UniqueConstraint("team_id", "mode_id", name=op.f("uq_findings_team_id_mode_id")),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_findings_team_id"), ["team_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_findings_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "recovery_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("stages", sa.JSON(), nullable=False),
        sa.Column("baseline_detected", sa.Integer(), nullable=False),
        sa.Column("baseline_usage_share", sa.Float(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("improved", sa.Boolean(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_recovery_windows_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_windows")),
    )
    with op.batch_alter_table("recovery_windows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_windows_team_id"), ["team_id"], unique=False)

    op.create_table(
        "self_assessments",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("mode_id", sa.String(length=8), nullable=False),
        sa.Column("applies", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=3000), nullable=False),
        sa.Column("marked_by", sa.String(length=32), nullable=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_self_assessments_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "mode_id", name=op.f("pk_self_assessments")),
    )
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("share_summary", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("configured_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("digest_sent_on", sa.Date(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("digest_sent_on")
        batch_op.drop_column("configured_by")
        batch_op.drop_column("share_summary")

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("is_admin")

    op.drop_table("self_assessments")
    with op.batch_alter_table("recovery_windows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_windows_team_id"))

    op.drop_table("recovery_windows")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_findings_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_findings_team_id"))

    op.drop_table("findings")
    with op.batch_alter_table("diagnosis_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_diagnosis_runs_team_id"))

    op.drop_table("diagnosis_runs")
