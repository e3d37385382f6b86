"""a usage answer records the role notices its pulse showed

Revision ID: 0007_role_notice
Revises: 0006
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_role_notice"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    # Answers already stored get no notice: nobody can tell now what their pulse showed.
    with op.batch_alter_table("pulse_answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role_notice", sa.String(length=80), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("pulse_answers", schema=None) as batch_op:
        batch_op.drop_column("role_notice")
