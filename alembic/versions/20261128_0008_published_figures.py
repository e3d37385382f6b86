"""a closed round's figures as they were last shown

Revision ID: 0008_published_figures
Revises: 0007_role_notice
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_published_figures"
down_revision: str | None = "0007_role_notice"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    # Rounds closed before this revision get their record the first time they are shown.
    op.create_table(
        "published_figures",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["pulse_rounds.id"],
            name=op.f("fk_published_figures_round_id_pulse_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("round_id", name=op.f("pk_published_figures")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("published_figures")
