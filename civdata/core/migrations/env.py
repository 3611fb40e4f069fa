"""Alembic environment: runs on the connection that civdata.schema hands over (no URL here)."""

from __future__ import annotations

from alembic import context

from civdata.core.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run the migrations on the connection in config.attributes['connection']."""
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `python -m civdata init-db`")
run_migrations_online()
