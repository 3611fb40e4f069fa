"""public reports, moderation and the hotline (issue 20): the public_report table

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "public_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=True),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column("subdistrict_id", sa.Integer(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("photo", sa.String(length=255), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=True),
        sa.Column("session_key", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("problem_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("channel IN ('public','hotline')", name="ck_public_report_channel"),
        sa.CheckConstraint("status IN ('pending','accepted','rejected','merged')",
                           name="ck_public_report_status"),
        sa.ForeignKeyConstraint(["class_id"], ["problem_class.id"]),
        sa.ForeignKeyConstraint(["problem_id"], ["problem.id"]),
        sa.ForeignKeyConstraint(["subdistrict_id"], ["subdistrict.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("order_no"),
    )
    op.create_index("ix_public_report_status_at", "public_report", ["status", "submitted_at"])
    op.create_index("ix_public_report_client_at", "public_report", ["client_key", "submitted_at"])
    op.create_index("ix_public_report_session_at", "public_report",
                    ["session_key", "submitted_at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_public_report_session_at", table_name="public_report")
    op.drop_index("ix_public_report_client_at", table_name="public_report")
    op.drop_index("ix_public_report_status_at", table_name="public_report")
    op.drop_table("public_report")
