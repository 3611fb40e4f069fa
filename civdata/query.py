"""Small SQL expression helpers shared by the read modules."""

from __future__ import annotations

from sqlalchemy import true
from sqlalchemy.sql.elements import ColumnElement


def in_subdistrict(column, subdistrict_id: int | None) -> ColumnElement[bool]:  # noqa: ANN001
    """Return a condition restricting column to one subdistrict (always true for the district)."""
    return column == subdistrict_id if subdistrict_id is not None else true()
