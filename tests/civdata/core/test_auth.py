"""Accounts, hashes, lockout, tokens, the permission matrix and the audit trail."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from civdata.core import auth
from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.core.errors import CivDataError, PermissionDenied
from tests.factories import make_subdistrict

ADMIN = Actor("root", "admin")

# The issue's table: which roles may change what.
EXPECTED = {
    "leader": {"meeting.follow_up", "meeting.manage"},
    "office": set(auth.PERMISSIONS) - {"user.manage"},
    "subdistrict": {"problem.report", "problem.rectify", "project.progress", "activity.record",
                    "data.import", "evaluation.inspect", "evaluation.task", "material.upload",
                    "problem.confirm"},  # issue 20: a street report joins an open problem
    # The market bureau runs the whole loop of the problems its inspections raise.
    "market": {"problem.report", "problem.assign", "problem.rectify", "problem.review",
               "market.inspect", "data.import", "problem.confirm"},
    "admin": {"user.manage", "audit.read"},
}


def _rows(session, model) -> int:
    return int(session.scalar(select(func.count()).select_from(model)))


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_permission_matrix(role: str) -> None:
    actor = Actor("u", role, subdistrict_id=1)
    for action in auth.PERMISSIONS:
        if action in EXPECTED[role] or (role == "office" and action != "user.manage"):
            auth.require(actor, action, auth.Scope(1, "market_inspection"))
        else:
            with pytest.raises(PermissionDenied):
                auth.require(actor, action, auth.Scope(1, "market_inspection"))


def test_subdistrict_user_is_held_to_its_own_subdistrict() -> None:
    actor = Actor("nanhu", "subdistrict", subdistrict_id=9)
    auth.require(actor, "problem.rectify", auth.Scope(9))
    with pytest.raises(PermissionDenied) as err:
        auth.require(actor, "problem.rectify", auth.Scope(3))
    assert "本街道" in err.value.message("zh")
    assert "own subdistrict" in err.value.message("en")


def test_market_bureau_only_touches_problems_its_inspections_raised() -> None:
    actor = Actor("market", "market")
    auth.require(actor, "problem.rectify", auth.Scope(3, "market_inspection"))
    with pytest.raises(PermissionDenied):
        auth.require(actor, "problem.rectify", auth.Scope(3, "public_report"))


def test_refused_message_in_both_languages() -> None:
    with pytest.raises(PermissionDenied) as err:
        auth.require(Actor("l", "leader"), "problem.assign")
    assert err.value.message("zh") == "无权操作：区领导角色不能交办问题。"
    assert err.value.message("en") == "Not allowed: the leader role may not assign problems."


def test_hash_is_not_the_password_and_verifies(session) -> None:
    user = auth.create_user(session, ADMIN, "alice", "correct horse", "office")
    assert "correct horse" not in user.password_hash
    assert user.password_hash.startswith("$argon2id$")
    assert auth.password_matches(user.password_hash, "correct horse")
    assert not auth.password_matches(user.password_hash, "wrong")


def test_only_admin_creates_users_and_refusal_changes_nothing(session) -> None:
    before = (_rows(session, m.User), _rows(session, m.AuditLog))
    for role in ("leader", "office", "subdistrict", "market"):
        with pytest.raises(PermissionDenied):
            auth.create_user(session, Actor("x", role, 1), "bob", "password123", "office")
    assert (_rows(session, m.User), _rows(session, m.AuditLog)) == before


def test_user_validation(session) -> None:
    cases = [("weak_password", ("bob", "short", "office")),
             ("subdistrict_required", ("bob", "password123", "subdistrict")),
             ("unknown_subdistrict", ("bob", "password123", "subdistrict", "nowhere")),
             ("bad_role", ("bob", "password123", "mayor"))]
    for code, args in cases:
        with pytest.raises(CivDataError) as err:
            auth.create_user(session, ADMIN, *args)
        assert err.value.code == code
    auth.create_user(session, ADMIN, "bob", "password123", "office")
    with pytest.raises(CivDataError) as err:
        auth.create_user(session, ADMIN, "bob", "password123", "office")
    assert err.value.code == "user_exists"
    assert err.value.message("zh") == "用户名 bob 已存在。"


def test_every_user_write_is_audited(session) -> None:
    sub = make_subdistrict(session, code="nanhu")
    auth.create_user(session, ADMIN, "carol", "password123", "subdistrict", "nanhu")
    auth.set_password(session, ADMIN, "carol", "password456")
    auth.set_user_active(session, ADMIN, "carol", False)
    session.flush()
    log = auth.audit_log(session, ADMIN, table="user_account")
    assert list(log["action"]) == ["set_active", "set_password", "create_user"]
    assert set(log["username"]) == {"root"}
    assert "password456" not in " ".join(str(v) for v in log.to_numpy().ravel())
    assert '"is_active": false' in log.iloc[0]["new_values"]
    carol = session.scalar(select(m.User).where(m.User.username == "carol"))
    assert carol.subdistrict_id == sub.id


def test_login_lockout_and_expiry(session, monkeypatch) -> None:
    auth.create_user(session, ADMIN, "dave", "password123", "office")
    clock = {"now": datetime(2026, 11, 25, 9, 0)}
    monkeypatch.setattr(auth, "now_local", lambda: clock["now"])
    delays = []
    for _ in range(auth.LOCK_AFTER - 1):
        result = auth.authenticate(session, "dave", "nope")
        assert result.actor is None and result.error.code == "login_failed"
        delays.append(result.delay_s)
    assert delays[: auth.SLOW_AFTER - 1] == [0.0] * (auth.SLOW_AFTER - 1)
    assert delays[-1] > 0  # slowed down before the lock
    result = auth.authenticate(session, "dave", "nope")
    assert result.error.code == "login_locked"
    # Locked: even the right password is refused until the lock expires.
    assert auth.authenticate(session, "dave", "password123").error.code == "login_locked"
    clock["now"] += timedelta(minutes=auth.LOCK_MINUTES + 1)
    ok = auth.authenticate(session, "dave", "password123")
    assert ok.actor is not None and ok.actor.role == "office"


def test_unknown_name_gets_the_same_answers(session) -> None:
    auth.create_user(session, ADMIN, "erin", "password123", "office")
    known = [auth.authenticate(session, "erin", "bad").error.message("en")
             for _ in range(auth.LOCK_AFTER)]
    unknown = [auth.authenticate(session, "ghost", "bad").error.message("en")
               for _ in range(auth.LOCK_AFTER)]
    assert known == unknown
    assert unknown[0] == "Wrong user name or password."


def test_tokens_expire_and_logout_revokes(session, monkeypatch) -> None:
    monkeypatch.setenv("CIVDATA_SECRET", "unit-test-secret")
    auth.create_user(session, ADMIN, "frank", "password123", "leader")
    token = auth.issue_token(session, "frank")
    assert auth.actor_from_token(session, token).username == "frank"
    assert auth.actor_from_token(session, token + "x") is None
    assert auth.actor_from_token(session, token, max_age_s=-1) is None
    auth.end_sessions(session, "frank")
    assert auth.actor_from_token(session, token) is None
    fresh = auth.issue_token(session, "frank")
    auth.set_user_active(session, ADMIN, "frank", False)
    assert auth.actor_from_token(session, fresh) is None


def test_single_sign_on_matches_email(session) -> None:
    auth.create_user(session, ADMIN, "gina", "password123", "market", email="Gina@Example.org")
    assert auth.actor_for_email(session, "gina@example.org").role == "market"
    assert auth.actor_for_email(session, "nobody@example.org") is None


def test_audit_log_filters_and_permission(session) -> None:
    auth.create_user(session, ADMIN, "hank", "password123", "office")
    session.flush()
    assert len(auth.audit_log(session, Actor("o", "office"), username="root")) == 1
    assert auth.audit_log(session, ADMIN, username="nobody").empty
    with pytest.raises(PermissionDenied):
        auth.audit_log(session, Actor("l", "leader"))


def _counting_verifier(monkeypatch) -> list[str]:
    """Count every password verification (thread-safe: list.append) by the hash it used."""
    checked: list[str] = []
    real = auth.password_matches

    def counting(stored_hash: str, password: str) -> bool:
        checked.append(stored_hash)
        return real(stored_hash, password)

    monkeypatch.setattr(auth, "password_matches", counting)
    return checked


def _parallel_logins(engine, username: str, threads: int, rounds: int) -> list:
    """Run rounds of threads simultaneous wrong logins, each in its own session; return the
    outcomes (error codes, or the exception a thread raised)."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from civdata.core.db import session_factory

    factory = session_factory(engine)
    outcomes: list = []
    for _ in range(rounds):
        barrier = Barrier(threads)

        def attempt(barrier: Barrier = barrier) -> object:
            barrier.wait()
            try:
                with factory() as s:
                    result = auth.authenticate(s, username, "wrong guess")
                    s.commit()
                    return result.error.code
            except Exception as exc:
                return exc

        with ThreadPoolExecutor(threads) as pool:
            outcomes += list(pool.map(lambda _: attempt(), range(threads)))
    return outcomes


@pytest.mark.parametrize("username", ["ivan", "never-seen"])
def test_parallel_wrong_logins_check_at_most_lock_after_passwords(engine, monkeypatch,
                                                                   username: str) -> None:
    from civdata.core.db import session_scope

    with session_scope(engine) as s:
        auth.create_user(s, ADMIN, "ivan", "password123", "office")
    checked = _counting_verifier(monkeypatch)
    outcomes = _parallel_logins(engine, username, threads=20, rounds=3)
    errors = [o for o in outcomes if not isinstance(o, str)]
    assert errors == []
    assert len(checked) == auth.LOCK_AFTER  # not one guess more, however many run at once
    assert outcomes.count("login_failed") == auth.LOCK_AFTER - 1
    assert outcomes.count("login_locked") == len(outcomes) - (auth.LOCK_AFTER - 1)
    if username == "ivan":  # the lock holds for the right password too, unchecked
        with session_scope(engine) as s:
            assert auth.authenticate(s, "ivan", "password123").error.code == "login_locked"
        assert len(checked) == auth.LOCK_AFTER


def test_every_name_costs_one_verification(session, monkeypatch) -> None:
    auth.create_user(session, ADMIN, "judy", "password123", "office")
    auth.create_user(session, ADMIN, "kim", "password123", "office")
    auth.set_user_active(session, ADMIN, "kim", False)
    checked = _counting_verifier(monkeypatch)
    paths = {"right password": ("judy", "password123"), "wrong password": ("judy", "nope"),
             "disabled, right password": ("kim", "password123"),
             "disabled, wrong password": ("kim", "nope"), "unknown name": ("nobody", "nope")}
    for path, (name, password) in paths.items():
        before = len(checked)
        result = auth.authenticate(session, name, password)
        assert len(checked) - before == 1, path
        assert (result.actor is not None) == (path == "right password"), path
    kim = auth.authenticate(session, "kim", "password123").error.message("en")
    assert kim == auth.authenticate(session, "nobody", "x").error.message("en")
    # a locked name costs none, known or not
    for name in ("judy", "nobody"):
        for _ in range(auth.LOCK_AFTER):
            auth.authenticate(session, name, "nope")
        before = len(checked)
        assert auth.authenticate(session, name, "password123").error.code == "login_locked"
        assert len(checked) == before, name
