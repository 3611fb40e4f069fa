"""the outbox, contacts and the sender lease (issue 21): notify_contact (where a recipient's
messages go, per channel), notify_outbox (one row per event, recipient and channel) and
notify_lease (the one row a sender must hold to send).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "notify_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("subdistrict_id", sa.Integer(), nullable=True),
        sa.Column("unit", sa.String(length=96), nullable=True),
        sa.Column("recipient", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=255), nullable=True),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint("scope IN ('district','subdistrict','unit')",
                           name="ck_notify_contact_scope"),
        sa.CheckConstraint("channel IN ('email','wecom','dingtalk','webhook')",
                           name="ck_notify_contact_channel"),
        sa.ForeignKeyConstraint(["subdistrict_id"], ["subdistrict.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("recipient", "channel", name="uq_notify_contact_recipient_channel"),
    )
    op.create_table(
        "notify_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('pending','sending','sent','failed')",
                           name="ck_notify_outbox_status"),
        sa.ForeignKeyConstraint(["contact_id"], ["notify_contact.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_key", "recipient", "channel", name="uq_notify_outbox_event"),
    )
    op.create_index("ix_notify_outbox_status_next", "notify_outbox", ["status", "next_try_at"])
    op.create_table(
        "notify_lease",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("notify_lease")
    op.drop_index("ix_notify_outbox_status_next", table_name="notify_outbox")
    op.drop_table("notify_outbox")
    op.drop_table("notify_contact")
