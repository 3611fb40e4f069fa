"""summaries kept by the write path for pages at scale (issue 18): site_link_count holds how
many problems (any state) lie within each site's radius, so the map reads 381 rows instead of
counting every problem-site link ever written; backfilled from problem_site.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "site_link_count",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("problems", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("site_id"),
    )
    op.execute("INSERT INTO site_link_count (site_id, problems) "
               "SELECT site_id, COUNT(*) FROM problem_site GROUP BY site_id")


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table("site_link_count")
