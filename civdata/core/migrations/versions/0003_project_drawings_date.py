"""project: the day its construction drawings were finished

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 04:34:36.917779
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.add_column(sa.Column("drawings_done_on", sa.Date(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_column("drawings_done_on")
