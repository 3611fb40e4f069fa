"""covering indexes for the counts at a moment (issue 18): the problems not closed by a moment
(closed_at first) and the open ones (deadline first, status <> 'closed') carry the columns that
the headline, weekly, monthly and problem pages count with, so those counts read the index and
not one table row per open problem (with 100,000 open problems at 1M, 0.10 s -> 0.04 s a count
on SQLite). They replace ix_problem_closed and ix_problem_open_deadline, which lead with the
same columns.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

OPEN = "status <> 'closed'"
CLOSED_COVER = ["closed_at", "discovered_at", "deadline", "subdistrict_id", "closed_on_time",
                "class_id", "responsible_unit", "reopened_from_id"]
OPEN_COVER = ["deadline", "discovered_at", "status", "subdistrict_id", "class_id"]


def upgrade() -> None:
    """Apply this revision."""
    op.drop_index("ix_problem_closed", table_name="problem")
    op.drop_index("ix_problem_open_deadline", table_name="problem")
    op.create_index("ix_problem_closed_cover", "problem", CLOSED_COVER)
    op.create_index("ix_problem_open_cover", "problem", OPEN_COVER,
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
    op.execute("ANALYZE problem")  # the planner's figures for the new indexes


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index("ix_problem_open_cover", table_name="problem")
    op.drop_index("ix_problem_closed_cover", table_name="problem")
    op.create_index("ix_problem_closed", "problem", ["closed_at"])
    op.create_index("ix_problem_open_deadline", "problem", ["deadline"],
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
