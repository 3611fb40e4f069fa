"""Scale indexes (issue 11): a volunteer activity index on (community, day), so a community's
last activity and its activities in a window are index probes, not a scan of every activity.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("ix_activity_community_date", "volunteer_activity",
                    ["community_id", "held_on"])


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index("ix_activity_community_date", table_name="volunteer_activity")
