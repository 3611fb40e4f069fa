"""a summary kept by the write path for pages at scale (issue 18): site_open_count holds how
many open problems of each class lie within each site's radius, so the evaluation's deduction
fallback sums 381 sites x 6 classes instead of every open problem's links; backfilled from
problem_site.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "site_open_count",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("problems", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["class_id"], ["problem_class.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("site_id", "class_id"),
    )
    op.execute("INSERT INTO site_open_count (site_id, class_id, problems) "
               "SELECT ps.site_id, p.class_id, COUNT(*) FROM problem_site ps "
               "JOIN problem p ON p.id = ps.problem_id WHERE p.status <> 'closed' "
               "GROUP BY ps.site_id, p.class_id")


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table("site_open_count")
