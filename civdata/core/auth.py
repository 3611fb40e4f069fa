"""Users, password hashes, roles, the permission check every write calls, and the audit log."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import case, delete, false, func, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from civdata.core import models as m
from civdata.core.clock import now_local
from civdata.core.config import PROJECT_ROOT
from civdata.core.errors import CivDataError, PermissionDenied
from civdata.core.live import mark_changed
from civdata.texts import Term

MIN_PASSWORD = 8
SLOW_AFTER = 3  # failures before each further try is slowed down
LOCK_AFTER = 5  # failures before the name is locked
LOCK_MINUTES = 15
TOKEN_MAX_AGE_S = 12 * 3600  # a working day
_HASHER = PasswordHasher()

# action -> roles allowed. How far each role reaches (own subdistrict, market-raised problems)
# is SCOPE_RULES below; can() and require() ask both. Each action's name for refusals is the text
# "permission.<action>" and each role's "role.<role>" (civdata/texts/vocabulary.py).
PERMISSIONS: dict[str, frozenset[str]] = {
    "meeting.follow_up": frozenset({"leader", "office"}),
    "meeting.manage": frozenset({"leader", "office"}),
    "problem.report": frozenset({"office", "subdistrict", "market"}),
    "problem.assign": frozenset({"office", "market"}),  # market: its inspections' problems
    "problem.rectify": frozenset({"office", "subdistrict", "market"}),
    "problem.review": frozenset({"office", "market"}),
    "project.progress": frozenset({"office", "subdistrict"}),
    "project.correct": frozenset({"office"}),
    "market.inspect": frozenset({"office", "market"}),
    "activity.record": frozenset({"office", "subdistrict"}),
    "site.edit": frozenset({"office"}),
    "settings.edit": frozenset({"office"}),
    "data.import": frozenset({"office", "subdistrict", "market"}),
    "audit.read": frozenset({"office", "admin"}),
    "user.manage": frozenset({"admin"}),
    # issue 19: the evaluation. Subdistrict staff act on their own subdistrict's sites/tasks.
    "evaluation.manage": frozenset({"office"}),
    "evaluation.inspect": frozenset({"office", "subdistrict"}),
    "evaluation.task": frozenset({"office", "subdistrict"}),
    "material.upload": frozenset({"office", "subdistrict"}),
    "material.review": frozenset({"office"}),
    "survey.import": frozenset({"office"}),
    # issue 20 (public channel): no account behind "public", the role of its Actor only
    "report.submit": frozenset({"public", "office"}),
    "report.moderate": frozenset({"office"}),
    "problem.confirm": frozenset({"office", "subdistrict", "market"}),  # issue 20
    "notify.manage": frozenset({"office"}),  # issue 21: contacts and the outbox
}
DEMO_USERS = [
    # username, display name, role, subdistrict code, password (listed in the README)
    ("leader", "区领导（演示）", "leader", None, "demo-leader-2022"),
    ("office", "区文明办（演示）", "office", None, "demo-office-2022"),
    ("nanhu", "南湖街道（演示）", "subdistrict", "nanhu", "demo-nanhu-2022"),
    ("market", "市场监管局（演示）", "market", None, "demo-market-2022"),
    ("admin", "系统管理员（演示）", "admin", None, "demo-admin-2022"),
]


@dataclass(frozen=True)
class Actor:
    """The user making a request: who, which role, bound to which subdistrict."""

    username: str
    role: str
    subdistrict_id: int | None = None
    display_name: str = ""

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        """Return the actor for the data loader and the command line's own work."""
        return cls(username=name, role="office", display_name=name)


def hash_password(password: str) -> str:
    """Return an Argon2id hash of password."""
    return _HASHER.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    """Return True when password matches stored_hash."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Scope:
    """A record's scope where no row is at hand (one about to be written, a table row): its
    subdistrict and, for a problem, its source."""

    subdistrict_id: int | None = None
    source: str | None = None


def _field(record: Any, name: str) -> Any:
    """Return a record's field (ORM row, Scope, dict or DataFrame row); None when absent or NA."""
    if isinstance(record, (int, str)):
        raise TypeError("pass the record (a row or auth.Scope), not a bare id")
    value = record.get(name) if isinstance(record, (dict, pd.Series)) \
        else getattr(record, name, None)
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


@dataclass(frozen=True)
class ScopeRule:
    """How far a role reaches within the actions it may do: the actions the rule covers (by
    prefix), the test on one record, the same test as SQL over a table, the refusal's code."""

    prefix: str
    holds: Callable[[Actor, Any], bool]
    where: Callable[[Actor, Any], ColumnElement[bool]]
    refusal: str


# role -> its scope rule; a role without one reaches every record of the actions it may do.
SCOPE_RULES: dict[str, ScopeRule] = {
    # subdistrict staff act on their own subdistrict's records only (a district-level record,
    # with no subdistrict, is not theirs)
    "subdistrict": ScopeRule("", lambda a, r: _field(r, "subdistrict_id") == a.subdistrict_id,
                             lambda a, t: t.subdistrict_id == a.subdistrict_id,
                             "wrong_subdistrict"),
    # the market bureau runs the loop of the problems its inspections raised, and no other
    "market": ScopeRule("problem.", lambda a, r: _field(r, "source") == "market_inspection",
                        lambda a, t: t.source == "market_inspection",
                        "permission_denied"),
}


def _scope_rule(actor: Actor, action: str) -> ScopeRule | None:
    """Return the scope rule that holds actor on action, or None."""
    rule = SCOPE_RULES.get(actor.role)
    return rule if rule is not None and action.startswith(rule.prefix) else None


def _refusal(actor: Actor, action: str, code: str = "permission_denied") -> PermissionDenied:
    """Return the refusal of action to actor, in both languages."""
    if code != "permission_denied":
        return PermissionDenied(code)
    return PermissionDenied("permission_denied", role=Term(f"role.{actor.role}", actor.role),
                            action=Term(f"permission.{action}"))


def _refusal_for(actor: Actor | None, action: str, record: Any) -> PermissionDenied | None:
    """Return why actor may not do action on record (None: no record, the action at all), or
    None when it may: the one answer behind can() and require()."""
    allowed = PERMISSIONS[action]
    if actor is None:  # no one signed in: refused like a role without the action
        return _refusal(Actor("", "visitor"), action)
    if actor.role not in allowed:
        return _refusal(actor, action)
    rule = _scope_rule(actor, action)
    if record is not None and rule is not None and not rule.holds(actor, record):
        return _refusal(actor, action, rule.refusal)
    return None


def can(actor: Actor | None, action: str, record: Any = None) -> bool:
    """Return True when actor may do action on record (None: may do it on some record); the UI
    asks this to show a control, the data layer asks require() before the write."""
    return _refusal_for(actor, action, record) is None


def require(actor: Actor | None, action: str, record: Any = None) -> None:
    """Raise PermissionDenied unless actor may do action on record (an ORM row, a Scope for a
    record about to be written, or None for an action on no record)."""
    refusal = _refusal_for(actor, action, record)
    if refusal is not None:
        raise refusal


def records_where(actor: Actor, action: str, table: Any) -> ColumnElement[bool]:
    """Return the SQL condition selecting the rows of table (a model with subdistrict_id, and
    source for problems) on which actor may do action: can() for a whole list at once."""
    if actor.role not in PERMISSIONS[action]:
        return false()
    rule = _scope_rule(actor, action)
    return rule.where(actor, table) if rule is not None else true()


def _jsonable(values: dict[str, Any] | None) -> str | None:
    """Return values as JSON text, dates and datetimes as ISO strings."""
    if values is None:
        return None

    def conv(v: Any) -> Any:
        if isinstance(v, (date, datetime)):
            return v.isoformat()
        return v

    return json.dumps({k: conv(v) for k, v in values.items()}, ensure_ascii=False, sort_keys=True)


def audit(session: Session, actor: Actor, action: str, table: str, record_id: Any,
          old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
    """Record one write in the audit log."""
    session.add(m.AuditLog(at=now_local(), username=actor.username, action=action,
                           table_name=table, record_id=None if record_id is None else str(record_id),
                           old_values=_jsonable(old), new_values=_jsonable(new)))


def _subdistrict_id(session: Session, code: str | None) -> int | None:
    """Return the id of a subdistrict code (None for None)."""
    if code is None:
        return None
    found = session.scalar(select(m.Subdistrict.id).where(m.Subdistrict.code == code))
    if found is None:
        raise CivDataError("unknown_subdistrict", code=code)
    return found


def create_user(session: Session, actor: Actor, username: str, password: str, role: str,
                subdistrict_code: str | None = None, display_name: str | None = None,
                email: str | None = None, is_demo: bool = False) -> m.User:
    """Create an account (admins only; the CLI acts as admin)."""
    require(actor, "user.manage")
    username = username.strip()
    if role not in m.ROLES:
        raise CivDataError("bad_role", role=role)
    if role == "subdistrict" and not subdistrict_code:
        raise CivDataError("subdistrict_required")
    if len(password) < MIN_PASSWORD:
        raise CivDataError("weak_password", n=MIN_PASSWORD)
    if session.scalar(select(m.User.id).where(m.User.username == username)) is not None:
        raise CivDataError("user_exists", username=username)
    user = m.User(username=username, display_name=display_name or username, role=role,
                  subdistrict_id=_subdistrict_id(session, subdistrict_code)
                  if role == "subdistrict" else None,
                  email=email, password_hash=hash_password(password), is_demo=is_demo,
                  is_active=True, session_epoch=0)
    session.add(user)
    session.flush()
    audit(session, actor, "create_user", "user_account", user.id, None,
          {"username": username, "role": role, "subdistrict": subdistrict_code})
    mark_changed(session, "users")
    return user


def _user(session: Session, username: str) -> m.User:
    """Return the account with this user name, or raise."""
    user = session.scalar(select(m.User).where(m.User.username == username))
    if user is None:
        raise CivDataError("user_unknown", username=username)
    return user


def set_password(session: Session, actor: Actor, username: str, password: str) -> None:
    """Set a new password (admins only) and end the account's sessions."""
    require(actor, "user.manage")
    if len(password) < MIN_PASSWORD:
        raise CivDataError("weak_password", n=MIN_PASSWORD)
    user = _user(session, username)
    user.password_hash = hash_password(password)
    user.session_epoch += 1
    audit(session, actor, "set_password", "user_account", user.id, None, {"username": username})
    mark_changed(session, "users")


def set_user_active(session: Session, actor: Actor, username: str, active: bool) -> None:
    """Enable or disable an account (admins only); disabling ends its sessions."""
    require(actor, "user.manage")
    user = _user(session, username)
    old = user.is_active
    user.is_active = active
    user.session_epoch += 1
    audit(session, actor, "set_active", "user_account", user.id, {"is_active": old},
          {"is_active": active})
    mark_changed(session, "users")


def users_table(session: Session) -> pd.DataFrame:
    """Return every account (no hashes) with its subdistrict name."""
    rows = session.execute(
        select(m.User.username, m.User.display_name, m.User.role, m.Subdistrict.name_zh,
               m.User.email, m.User.is_active, m.User.is_demo, m.User.last_login_at)
        .outerjoin(m.Subdistrict, m.Subdistrict.id == m.User.subdistrict_id)
        .order_by(m.User.username)
    ).all()
    return pd.DataFrame(rows, columns=["username", "display_name", "role", "subdistrict",
                                       "email", "is_active", "is_demo", "last_login_at"])


def demo_accounts_exist(session: Session) -> bool:
    """Return True while any active demo account exists."""
    return bool(session.scalar(select(func.count()).select_from(m.User)
                               .where(m.User.is_demo.is_(True), m.User.is_active.is_(True))))


def create_demo_users(session: Session) -> None:
    """Create one demo account per role (passwords in the README)."""
    admin = Actor(username="load-sample", role="admin")
    for username, display, role, sub, password in DEMO_USERS:
        create_user(session, admin, username, password, role, sub, display, is_demo=True)


def _actor(user: m.User) -> Actor:
    """Return the Actor of an account."""
    return Actor(username=user.username, role=user.role, subdistrict_id=user.subdistrict_id,
                 display_name=user.display_name)


def login_delay_seconds(failed_attempts: int) -> float:
    """Return how long the next try waits after failed_attempts failures."""
    if failed_attempts < SLOW_AFTER:
        return 0.0
    return float(min(2 ** (failed_attempts - SLOW_AFTER), 8))


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a login: the actor, or the error; and how long to wait before answering."""

    actor: Actor | None
    error: CivDataError | None
    delay_s: float


def _count_attempt(session: Session, username: str, now: datetime) -> tuple[int, datetime | None]:
    """Count one login attempt for username in one atomic statement; return (its number since
    the last success or lock, the lock's end), locking the name at the LOCK_AFTER-th attempt.

    An upsert with increment: parallel logins for one name (known or not) queue on its row, so
    every attempt gets its own number, and attempts after the LOCK_AFTER-th find the lock set.
    """
    table = m.LoginThrottle.__table__
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    expired = table.c.locked_until.is_not(None) & (table.c.locked_until <= now)
    locked = table.c.locked_until.is_not(None) & (table.c.locked_until > now)
    before = func.coalesce(table.c.failed_attempts, 0)
    count = case((expired, 1), (locked & (before < LOCK_AFTER), LOCK_AFTER + 1),
                 else_=before + 1)
    lock_at = now + timedelta(minutes=LOCK_MINUTES)
    stmt = upsert(table).values(username=username, failed_attempts=1, last_failed_at=now,
                                locked_until=lock_at if LOCK_AFTER <= 1 else None)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.username],
        set_={"failed_attempts": count, "last_failed_at": now,
              "locked_until": case((expired, None),
                                   (table.c.locked_until.is_(None) & (count >= LOCK_AFTER),
                                    lock_at),
                                   else_=table.c.locked_until)},
    ).returning(table.c.failed_attempts, table.c.locked_until)
    attempts, locked_until = session.execute(stmt).one()
    cached = session.identity_map.get(session.identity_key(m.LoginThrottle, username))
    if cached is not None:  # the ORM must not keep an older copy of the row
        session.expire(cached)
    return int(attempts), locked_until


def authenticate(session: Session, username: str, password: str) -> LoginResult:
    """Check a login, counting failures (the caller commits them too); never raises.

    The attempt is counted before the password is checked, in one atomic statement, so
    parallel guesses cannot outrun the lock: at most LOCK_AFTER passwords are checked per lock.
    Every attempt that is checked costs exactly one Argon2 verification: unknown names and
    disabled accounts are verified against a dummy hash, so timing does not tell them apart.
    """
    username = username.strip()[:64]  # the column's width; no account has a longer name
    now = now_local()
    attempts, locked_until = _count_attempt(session, username, now)
    if attempts > LOCK_AFTER:  # the lock was set by an earlier attempt
        left = (locked_until - now).total_seconds() if locked_until else LOCK_MINUTES * 60
        minutes = max(1, int(left // 60) + 1)
        return LoginResult(None, CivDataError("login_locked", minutes=minutes), 0.0)
    user = session.scalar(select(m.User).where(m.User.username == username))
    usable = user is not None and user.is_active and bool(user.password_hash)
    matches = password_matches(user.password_hash if usable else _DUMMY_HASH(), password)
    if not (usable and matches):
        if attempts >= LOCK_AFTER:
            return LoginResult(None, CivDataError("login_locked", minutes=LOCK_MINUTES), 0.0)
        return LoginResult(None, CivDataError("login_failed"), login_delay_seconds(attempts))
    session.execute(delete(m.LoginThrottle).where(m.LoginThrottle.username == username))
    user.last_login_at = now
    session.flush()
    return LoginResult(_actor(user), None, login_delay_seconds(attempts - 1))


_dummy_cache: list[str] = []


def _DUMMY_HASH() -> str:
    """Return a hash to verify against for unknown names and disabled accounts."""
    if not _dummy_cache:
        _dummy_cache.append(hash_password(secrets.token_hex(8)))
    return _dummy_cache[0]


def secret_key() -> str:
    """Return the cookie-signing secret: CIVDATA_SECRET, or a key file made once under data/."""
    env = os.environ.get("CIVDATA_SECRET", "").strip()
    if env:
        return env
    path = Path(os.environ.get("CIVDATA_SECRET_FILE", str(PROJECT_ROOT / "data" / "secret.key")))
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _serializer() -> URLSafeTimedSerializer:
    """Return the signer of session tokens."""
    return URLSafeTimedSerializer(secret_key(), salt="civdata-session")


def issue_token(session: Session, username: str) -> str:
    """Return a signed session token for username (valid for a working day)."""
    user = _user(session, username)
    return _serializer().dumps({"u": user.username, "e": user.session_epoch})


def actor_from_token(session: Session, token: str | None,
                     max_age_s: int = TOKEN_MAX_AGE_S) -> Actor | None:
    """Return the actor of a valid, unexpired, unrevoked token, else None."""
    if not token:
        return None
    try:
        data = _serializer().loads(token, max_age=max_age_s)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict):
        return None
    user = session.scalar(select(m.User).where(m.User.username == data.get("u")))
    if user is None or not user.is_active or user.session_epoch != data.get("e"):
        return None
    return _actor(user)


def actor_for_email(session: Session, email: str | None) -> Actor | None:
    """Return the actor whose account has this e-mail (single sign-on), else None."""
    if not email:
        return None
    user = session.scalar(select(m.User).where(func.lower(m.User.email) == email.strip().lower()))
    if user is None or not user.is_active:
        return None
    return _actor(user)


def end_sessions(session: Session, username: str) -> None:
    """Revoke every session token of username (logout)."""
    user = session.scalar(select(m.User).where(m.User.username == username))
    if user is not None:
        user.session_epoch += 1
        session.flush()


def audit_log(session: Session, actor: Actor, username: str | None = None,
              table: str | None = None, since: date | None = None,
              until: date | None = None, limit: int = 500) -> pd.DataFrame:
    """Return audit rows, newest first, filtered by user, table and date (office, admin)."""
    require(actor, "audit.read")
    q = select(m.AuditLog.at, m.AuditLog.username, m.AuditLog.action, m.AuditLog.table_name,
               m.AuditLog.record_id, m.AuditLog.old_values, m.AuditLog.new_values)
    if username:
        q = q.where(m.AuditLog.username == username)
    if table:
        q = q.where(m.AuditLog.table_name == table)
    if since:
        q = q.where(m.AuditLog.at >= datetime.combine(since, datetime.min.time()))
    if until:
        q = q.where(m.AuditLog.at < datetime.combine(until + timedelta(days=1),
                                                     datetime.min.time()))
    rows = session.execute(q.order_by(m.AuditLog.id.desc()).limit(limit)).all()
    return pd.DataFrame(rows, columns=["at", "username", "action", "table", "record_id",
                                       "old_values", "new_values"])
