"""messages (issue 21): channel secrets sealed at rest and the scan's watermark. notify_contact's
address and secret become TEXT (a sealed value is longer than the plain one) and the plain
values stored before are sealed; notify_lease gets scanned_until, the time up to which events
were queued.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

SEALED_CHANNELS = ("wecom", "dingtalk", "webhook")


def _contacts() -> sa.Table:
    """Return the columns of notify_contact this revision reads and writes."""
    return sa.table("notify_contact", sa.column("id", sa.Integer), sa.column("channel", sa.String),
                    sa.column("address", sa.Text), sa.column("secret", sa.Text))


def _rewrite(change) -> None:
    """Apply change(channel, address, secret) -> (address, secret) to every stored contact."""
    conn = op.get_bind()
    t = _contacts()
    for row in conn.execute(sa.select(t.c.id, t.c.channel, t.c.address, t.c.secret)).all():
        address, secret = change(row.channel, row.address, row.secret)
        if (address, secret) != (row.address, row.secret):
            conn.execute(t.update().where(t.c.id == row.id).values(address=address,
                                                                   secret=secret))


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("notify_contact", schema=None) as batch_op:
        batch_op.alter_column("address", existing_type=sa.String(length=500), type_=sa.Text(),
                              existing_nullable=False)
        batch_op.alter_column("secret", existing_type=sa.String(length=255), type_=sa.Text(),
                              existing_nullable=True)
    with op.batch_alter_table("notify_lease", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scanned_until", sa.DateTime(), nullable=True))
    conn = op.get_bind()
    if not conn.execute(sa.select(sa.func.count()).select_from(_contacts())).scalar():
        return
    from civdata.core.errors import CivDataError
    from civdata.io.notify import vault

    try:
        vault.seal("probe")
    except CivDataError:  # no installation secret here: the plain values keep working and
        return            # are sealed by the next save
    _rewrite(lambda channel, address, secret: (
        vault.seal(address) if channel in SEALED_CHANNELS else address, vault.seal(secret)))


def downgrade() -> None:
    """Revert this revision (sealed values are opened again: the older columns are shorter)."""
    from civdata.io.notify import vault

    conn = op.get_bind()
    if conn.execute(sa.select(sa.func.count()).select_from(_contacts())).scalar():
        _rewrite(lambda channel, address, secret: (vault.unseal(address), vault.unseal(secret)))
    with op.batch_alter_table("notify_lease", schema=None) as batch_op:
        batch_op.drop_column("scanned_until")
    with op.batch_alter_table("notify_contact", schema=None) as batch_op:
        batch_op.alter_column("secret", existing_type=sa.Text(), type_=sa.String(length=255),
                              existing_nullable=True)
        batch_op.alter_column("address", existing_type=sa.Text(), type_=sa.String(length=500),
                              existing_nullable=False)
