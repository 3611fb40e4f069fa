"""Create the schema of a database (idempotent)."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

from civdata.models import Base


def init_db(engine: Engine) -> list[str]:
    """Create every missing table and index; return the names of the tables created."""
    before = set(inspect(engine).get_table_names())
    Base.metadata.create_all(engine)
    after = set(inspect(engine).get_table_names())
    return sorted(after - before)
