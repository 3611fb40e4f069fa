"""natural keys for imports, login-failure counter and other trust/clerk changes (issues 15, 16)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


# --- natural keys of imported records (issue 16.3) ---------------------------------------------
# An index is unique when the table holds no duplicates under its key. A database that already
# holds some (written before this revision) keeps every row: its index is made non-unique and a
# warning names the table; the write functions still refuse a new duplicate.
NATURAL_KEYS = (
    ("uq_inspection_natural_key", "market_inspection",
     ("market_id", "inspected_on", "inspector", "is_reinspection", "total_score")),
    ("uq_progress_natural_key", "project_progress", ("project_id", "reported_on", "percent", "stage")),
    ("uq_activity_natural_key", "volunteer_activity", ("team_id", "held_on", "place", "title")),
)


def _has_duplicates(table: str, columns: tuple[str, ...]) -> bool:
    """Return True when table holds two rows with the same values in columns."""
    cols = [sa.column(c) for c in columns]
    query = (sa.select(sa.literal(1)).select_from(sa.table(table, *cols)).group_by(*cols)
             .having(sa.func.count() > 1).limit(1))
    return op.get_bind().execute(query).first() is not None


def _upgrade_natural_keys() -> None:
    """Create the natural-key indexes (non-unique where old rows already repeat a key)."""
    import warnings

    for name, table, columns in NATURAL_KEYS:
        unique = not _has_duplicates(table, columns)
        if not unique:
            warnings.warn(f"{table} holds rows with the same {', '.join(columns)}; index {name} "
                          "is created non-unique and every row is kept", stacklevel=1)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, list(columns), unique=unique)


def _downgrade_natural_keys() -> None:
    """Drop the natural-key indexes."""
    for name, table, _ in reversed(NATURAL_KEYS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)


def upgrade() -> None:
    """Apply this revision."""
    _upgrade_natural_keys()


def downgrade() -> None:
    """Undo this revision."""
    _downgrade_natural_keys()
