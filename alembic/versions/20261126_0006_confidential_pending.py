"""confidential answers wait sealed until their round closes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "confidential_pending",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["pulse_rounds.id"],
            name=op.f("fk_confidential_pending_round_id_pulse_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_confidential_pending")),
    )
    with op.batch_alter_table("confidential_pending", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_confidential_pending_round_id"), ["round_id"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("confidential_pending", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_confidential_pending_round_id"))
    op.drop_table("confidential_pending")
