"""stored weekly readiness snapshots (issue 19): the readiness_snapshot table

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "readiness_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("edition", sa.String(length=32), nullable=False),
        sa.Column("estimated", sa.Float(), nullable=False),
        sa.Column("low", sa.Float(), nullable=False),
        sa.Column("high", sa.Float(), nullable=False),
        sa.Column("max_points", sa.Float(), nullable=False),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("week_start", "scope_id", name="uq_readiness_snapshot_week_scope"),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("readiness_snapshot")
