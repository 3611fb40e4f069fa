"""reports from the street (issue 20): problem_confirmation holds each report that joined an
open problem as a confirmation (problem, photo, who, when, where) instead of filing a duplicate.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "problem_confirmation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("photo", sa.String(length=255), nullable=False),
        sa.Column("confirmed_by", sa.String(length=64), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("location_source", sa.String(length=16), nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["problem_id"], ["problem.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_problem_confirmation_problem_id", "problem_confirmation",
                    ["problem_id"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_problem_confirmation_problem_id", table_name="problem_confirmation")
    op.drop_table("problem_confirmation")
