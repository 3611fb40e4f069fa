"""Account writes mark the 'users' domain in their own transaction (issue 17.1: the UI used to
record that change itself, so the CLI's writes were never seen by the cached readers)."""

from __future__ import annotations

from sqlalchemy import select

from civdata.core import auth
from civdata.core import models as m
from civdata.core.auth import Actor

ADMIN = Actor("root", "admin")


def _users_mark(session) -> int:
    """Return the change counter of the 'users' domain (0 when never marked)."""
    counter = session.scalar(select(m.DataChange.counter).where(m.DataChange.domain == "users"))
    return int(counter or 0)


def test_every_account_write_marks_the_users_domain(session) -> None:
    assert _users_mark(session) == 0
    auth.create_user(session, ADMIN, "dora", "password123", "office")
    assert _users_mark(session) == 1
    auth.set_password(session, ADMIN, "dora", "password456")
    assert _users_mark(session) == 2
    auth.set_user_active(session, ADMIN, "dora", False)
    assert _users_mark(session) == 3
    session.rollback()  # the marks belong to the writes' transaction
    assert _users_mark(session) == 0
