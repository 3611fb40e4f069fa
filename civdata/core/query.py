"""Small SQL expression helpers shared by the read modules."""

from __future__ import annotations

from sqlalchemy import literal_column, true
from sqlalchemy.sql.elements import ColumnElement


def in_subdistrict(column, subdistrict_id: int | None) -> ColumnElement[bool]:  # noqa: ANN001
    """Return a condition restricting column to one subdistrict (always true for the district)."""
    return column == subdistrict_id if subdistrict_id is not None else true()


def problem_is_open() -> ColumnElement[bool]:
    """Return 'the problem is not closed' with the constant written inline: SQLite uses the
    partial index on open problems (WHERE status <> 'closed') only for a literal, and a bound
    parameter made every such read scan the whole problem table (issue 18)."""
    from civdata.core import models as m

    return m.Problem.status != literal_column("'closed'")
