"""When data last changed: every write marks its domain; live panels poll the marks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civdata.core.clock import now_local
from civdata.core.models import DataChange

DOMAINS = ("sites", "problems", "renovation", "markets", "volunteers", "meetings", "users",
           "settings", "evaluation")


def mark_changed(session: Session, domain: str) -> None:
    """Record that domain ('all' for every domain) changed now."""
    now = now_local()
    for name in DOMAINS if domain == "all" else (domain,):
        row = session.get(DataChange, name)
        if row is None:
            session.add(DataChange(domain=name, changed_at=now, counter=1))
        else:
            row.changed_at = now
            row.counter = row.counter + 1
    session.flush()


def last_change(session: Session) -> tuple[datetime | None, int]:
    """Return (latest change time, sum of change counters) over every domain."""
    row = session.execute(
        select(func.max(DataChange.changed_at), func.coalesce(func.sum(DataChange.counter), 0))
    ).one()
    return row[0], int(row[1])


def domain_marks(session: Session) -> dict[str, tuple[str, int]]:
    """Return (last change time as ISO text, counter) per domain that has ever changed."""
    rows = session.execute(select(DataChange.domain, DataChange.changed_at, DataChange.counter)
                           ).all()
    return {d: (at.isoformat() if at else "", int(n or 0)) for d, at, n in rows}
