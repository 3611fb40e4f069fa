"""The problem state machine: every allowed and refused transition, deadlines, escalation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select

from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.core.db import session_factory
from civdata.core.errors import CivDataError, PermissionDenied, StaleEdit
from civdata.core.query import overdue_flags
from civdata.domain import workflow
from tests.factories import make_problem, make_problem_class, make_site, make_subdistrict

T0 = datetime(2026, 11, 20, 9, 0)


class Clock:
    """A settable clock patched into the workflow."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Patch the workflow's (and the change marks') clock to a settable moment."""
    c = Clock(T0)
    monkeypatch.setattr(workflow, "now_local", c)
    monkeypatch.setattr("civdata.core.live.now_local", c)
    monkeypatch.setattr("civdata.core.auth.now_local", c)
    return c


def png(colour: tuple[int, int, int]) -> bytes:
    """Return a small PNG of one colour."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def shots(tmp_path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Point the photo store at tmp_path and return the names of two photos stored there."""
    from civdata.io.photos import store_photo

    monkeypatch.setenv("CIVDATA_PHOTO_DIR", str(tmp_path / "photos"))
    return [store_photo(png((200, 30, 30))), store_photo(png((30, 200, 30)))]


@pytest.fixture
def world(session, clock, shots):
    """Return two subdistricts, a 3-day class, the escalation ladder, one actor per role and
    two stored photos."""
    a = make_subdistrict(session, code="nanhu")
    b = make_subdistrict(session, code="xita")
    cls = make_problem_class(session, code="sanitation", time_limit_days=3)
    make_site(session, a, lat=41.7851, lon=123.4001)
    for days, code in ((1, "subdistrict_head"), (3, "district"), (7, "accountability")):
        session.add(m.EscalationRung(days_overdue=days, code=code, name_zh=code, name_en=code))
    session.flush()
    actors = {
        "office": Actor("office", "office"),
        "own": Actor("nanhu", "subdistrict", a.id),
        "other": Actor("xita", "subdistrict", b.id),
        "market": Actor("market", "market"),
        "leader": Actor("leader", "leader"),
        "admin": Actor("admin", "admin"),
    }
    return {"a": a, "b": b, "cls": cls, "actors": actors, "shots": shots}


def _report(session, world, source: str = "daily_inspection", actor: str = "office"):
    """Report a problem in subdistrict A."""
    return workflow.report_problem(
        session, world["actors"][actor], subdistrict_id=world["a"].id, class_code="sanitation",
        lat=41.785, lon=123.40, description="垃圾堆放", source=source)


def _code(call) -> str:
    """Return the code of the CivDataError that call raises."""
    with pytest.raises(CivDataError) as err:
        call()
    return err.value.code


def _events(session, problem_id: int) -> list[tuple[str | None, str]]:
    """Return (from, to) of every event of a problem, in order."""
    return [(r.from_status, r.to_status) for r in session.execute(
        select(m.ProblemEvent).where(m.ProblemEvent.problem_id == problem_id)
        .order_by(m.ProblemEvent.id)).scalars()]


def test_report_creates_a_discovered_problem_with_event_audit_and_change_mark(session, world):
    p = _report(session, world)
    assert p.status == "discovered" and p.version == 1 and p.code.startswith("P")
    assert p.discovered_at == T0 and p.created_by == "office" and p.h3_cell
    assert p.nearest_site_id is not None and p.nearest_site_m < 20
    assert _events(session, p.id) == [(None, "discovered")]
    assert session.scalar(select(func.count()).select_from(m.AuditLog)
                          .where(m.AuditLog.action == "problem.report")) == 1
    assert session.get(m.DataChange, "problems").counter == 1
    second = _report(session, world)
    assert second.code != p.code


@pytest.mark.parametrize(("actor", "source", "error"), [
    ("leader", "daily_inspection", "permission_denied"),
    ("admin", "daily_inspection", "permission_denied"),
    ("other", "daily_inspection", "wrong_subdistrict"),
    ("market", "public_report", "permission_denied"),
])
def test_report_refused(session, world, actor: str, source: str, error: str):
    with pytest.raises(PermissionDenied) as err:
        _report(session, world, source=source, actor=actor)
    assert err.value.code == error
    assert workflow.problem_count(session) == 0


@pytest.mark.parametrize(("actor", "source"), [("office", "spot_check"),
                                               ("own", "daily_inspection"),
                                               ("market", "market_inspection")])
def test_report_allowed(session, world, actor: str, source: str):
    assert _report(session, world, source=source, actor=actor).status == "discovered"


def test_report_checks_its_fields(session, world):
    with pytest.raises(CivDataError) as err:
        workflow.report_problem(session, world["actors"]["office"], subdistrict_id=world["a"].id,
                                class_code="sanitation", lat=41.78, lon=123.4, description="  ",
                                source="spot_check")
    assert err.value.code == "required_field"
    assert "问题描述" in err.value.message("zh")
    for kw in ({"class_code": "nope"}, {"source": "rumour"}):
        args = {"class_code": "sanitation", "source": "spot_check", **kw}
        with pytest.raises(CivDataError):
            workflow.report_problem(session, world["actors"]["office"],
                                    subdistrict_id=world["a"].id, lat=41.78, lon=123.4,
                                    description="x", **args)
    assert workflow.problem_count(session) == 0


def test_full_loop_with_deadline_and_time_to_close(session, world, clock):
    office, own = world["actors"]["office"], world["actors"]["own"]
    p = _report(session, world)
    clock.at = T0 + timedelta(hours=2)
    p = workflow.transition(session, office, p.id, "assign", expected_version=1,
                            responsible_unit="南湖街道城管科")
    assert (p.status, p.version, p.deadline) == ("assigned", 2, T0 + timedelta(days=3, hours=2))
    assert p.assigned_at == T0 + timedelta(hours=2) and p.responsible_unit == "南湖街道城管科"
    p = workflow.transition(session, own, p.id, "start", expected_version=2)
    p = workflow.transition(session, own, p.id, "submit", expected_version=3, note="已清理",
                            photo_after=world["shots"][0])
    assert (p.status, p.photo_after) == ("submitted", world["shots"][0])
    clock.at = T0 + timedelta(days=1)
    p = workflow.transition(session, office, p.id, "reject", expected_version=4, note="未清理干净")
    assert p.status == "rectifying" and p.closed_at is None
    p = workflow.transition(session, own, p.id, "submit", expected_version=5, note="再次清理",
                            photo_after=world["shots"][1])
    clock.at = T0 + timedelta(days=2, seconds=5)
    p = workflow.transition(session, office, p.id, "accept", expected_version=6)
    assert (p.status, p.version) == ("closed", 7)
    assert p.closed_at == clock.at and p.seconds_to_close == 2 * 86400 + 5
    assert p.closed_on_time is True
    assert _events(session, p.id) == [
        (None, "discovered"), ("discovered", "assigned"), ("assigned", "rectifying"),
        ("rectifying", "submitted"), ("submitted", "rectifying"), ("rectifying", "submitted"),
        ("submitted", "closed")]
    notes = session.scalars(select(m.ProblemEvent.note).where(
        m.ProblemEvent.problem_id == p.id, m.ProblemEvent.to_status == "rectifying",
        m.ProblemEvent.from_status == "submitted")).all()
    assert notes == ["未清理干净"]


def test_late_close_is_not_on_time(session, world, clock):
    office = world["actors"]["office"]
    p = _report(session, world)
    p = workflow.transition(session, office, p.id, "assign", expected_version=1,
                            responsible_unit="城管")
    p = workflow.transition(session, office, p.id, "start", expected_version=2)
    p = workflow.transition(session, office, p.id, "submit", expected_version=3, note="done",
                            photo_after=world["shots"][0])
    clock.at = T0 + timedelta(days=3, seconds=1)
    p = workflow.transition(session, office, p.id, "accept", expected_version=4)
    assert p.closed_on_time is False


ROLE_RULES = {  # action -> actors allowed (for a daily-inspection problem / a market one)
    "assign": ({"office"}, {"office", "market"}),
    "start": ({"office", "own"}, {"office", "own", "market"}),
    "submit": ({"office", "own"}, {"office", "own", "market"}),
    "accept": ({"office"}, {"office", "market"}),
    "reject": ({"office"}, {"office", "market"}),
}
CASES = [(status, action, actor, source)
         for status in m.PROBLEM_STATUSES for action in workflow.ACTIONS
         for actor in ("office", "own", "other", "market", "leader", "admin")
         for source in ("daily_inspection", "market_inspection")]


@pytest.mark.parametrize(("status", "action", "actor", "source"), CASES)
def test_every_transition_by_state_and_role(session, world, status: str, action: str,
                                            actor: str, source: str):
    cls, sub = world["cls"], world["a"]
    p = make_problem(session, sub, cls, status=status, source=source, version=3,
                     responsible_unit="单位")
    before = (p.status, p.version)
    allowed_role = actor in ROLE_RULES[action][source == "market_inspection"]
    allowed_state = workflow.TRANSITIONS[action].from_status == status
    kwargs = {"note": "说明", "responsible_unit": "单位", "photo_after": world["shots"][0]}
    if allowed_role and allowed_state:
        after = workflow.transition(session, world["actors"][actor], p.id, action,
                                    expected_version=3, **kwargs)
        assert after.status == workflow.TRANSITIONS[action].to_status
        assert after.version == 4
        assert _events(session, p.id) == [(status, after.status)]
        return
    with pytest.raises(CivDataError) as err:
        workflow.transition(session, world["actors"][actor], p.id, action, expected_version=3,
                            **kwargs)
    if not allowed_role:
        assert isinstance(err.value, PermissionDenied)
        own_scope = actor == "other" and action in ("start", "submit")
        assert err.value.code == ("wrong_subdistrict" if own_scope else "permission_denied")
    else:
        assert err.value.code == "bad_transition"
        assert err.value.message("en")  # formats without a KeyError
    session.expire_all()
    fresh = session.get(m.Problem, p.id)
    assert (fresh.status, fresh.version) == before
    assert _events(session, p.id) == []


def test_transition_needs_its_inputs(session, world):
    office, cls, sub = world["actors"]["office"], world["cls"], world["a"]
    found = make_problem(session, sub, cls, status="discovered")
    assert _code(lambda: workflow.transition(session, office, found.id, "assign",
                                             expected_version=1)) == "required_field"
    fixing = make_problem(session, sub, cls, status="rectifying")
    shot = world["shots"][0]
    for evidence in ({"note": " "}, {"note": "已整改"}, {"photo_after": shot},
                     {"note": " ", "photo_after": shot}):
        assert _code(lambda e=evidence: workflow.transition(
            session, office, fixing.id, "submit", expected_version=1, **e)) \
            == "submit_needs_evidence", evidence
    assert workflow.transition(session, office, fixing.id, "submit", expected_version=1,
                               note="已整改", photo_after=shot).status == "submitted"
    review = make_problem(session, sub, cls, status="submitted")
    assert _code(lambda: workflow.transition(session, office, review.id, "reject",
                                             expected_version=1)) == "reject_needs_reason"
    assert _code(lambda: workflow.transition(session, office, review.id, "destroy",
                                             expected_version=1)) == "invalid_value"
    assert _code(lambda: workflow.transition(session, office, 999999, "accept",
                                             expected_version=1)) == "not_found"


def test_stale_edit_refused_and_nothing_lost(engine, session, world, clock):
    office, own = world["actors"]["office"], world["actors"]["own"]
    p = _report(session, world)
    workflow.transition(session, office, p.id, "assign", expected_version=1,
                        responsible_unit="城管")
    session.commit()
    # Two people opened the problem at version 2; the nanhu user saves first.
    with session_factory(engine)() as other:
        clock.at = T0 + timedelta(hours=1)
        workflow.transition(other, own, p.id, "start", expected_version=2)
        other.commit()
    clock.at = T0 + timedelta(hours=2)
    with pytest.raises(StaleEdit) as err:
        workflow.transition(session, office, p.id, "start", expected_version=2)
    assert err.value.code == "stale_edit"
    assert "nanhu" in err.value.message("en") and "2026-11-20 10:00" in err.value.message("zh")
    session.rollback()
    fresh = session.get(m.Problem, p.id)
    assert (fresh.status, fresh.version) == ("rectifying", 3)
    assert _events(session, p.id)[-1] == ("assigned", "rectifying")


def test_reopen_links_a_new_record(session, world):
    office = world["actors"]["office"]
    closed = make_problem(session, world["a"], world["cls"], status="closed",
                          closed_at=T0, source="daily_inspection")
    new = workflow.reopen_problem(session, office, closed.id, description="再次发现")
    assert new.id != closed.id and new.reopened_from_id == closed.id
    assert (new.status, new.source, new.description) == ("discovered", "spot_check", "再次发现")
    assert session.get(m.Problem, closed.id).status == "closed"
    still_open = make_problem(session, world["a"], world["cls"], status="rectifying")
    assert _code(lambda: workflow.reopen_problem(session, office, still_open.id)) \
        == "bad_transition"
    with pytest.raises(PermissionDenied):
        workflow.reopen_problem(session, world["actors"]["other"], closed.id)


def test_market_bureau_runs_the_loop_of_its_findings(session, world, clock):
    market = world["actors"]["market"]
    p = _report(session, world, source="market_inspection", actor="market")
    for action, kw in (("assign", {"responsible_unit": "市场方"}), ("start", {}),
                       ("submit", {"note": "整改", "photo_after": world["shots"][0]}),
                       ("accept", {"note": "复查合格"})):
        p = workflow.transition(session, market, p.id, action, expected_version=p.version, **kw)
    assert p.status == "closed"


# --- deadlines and overdue arithmetic in Asia/Shanghai --------------------------------------

@pytest.mark.parametrize(("assigned", "days", "deadline"), [
    (datetime(2026, 11, 25, 23, 59), 1, datetime(2026, 11, 26, 23, 59)),     # across midnight
    (datetime(2026, 1, 31, 23, 30), 1, datetime(2026, 2, 1, 23, 30)),        # month end
    (datetime(2026, 2, 27, 12, 0), 3, datetime(2026, 3, 2, 12, 0)),          # February, 2026
    (datetime(2028, 2, 27, 12, 0), 3, datetime(2028, 3, 1, 12, 0)),          # leap year
    (datetime(2026, 12, 30, 18, 0), 5, datetime(2027, 1, 4, 18, 0)),         # year end
    # 2026-11-30 16:30 UTC is 2026-12-01 00:30 in Shanghai
    (datetime(2026, 11, 30, 16, 30, tzinfo=UTC), 3, datetime(2026, 12, 4, 0, 30)),
])
def test_deadline_for(assigned: datetime, days: int, deadline: datetime):
    assert workflow.deadline_for(assigned, days) == deadline


@pytest.mark.parametrize(("deadline", "now", "overdue", "days"), [
    (datetime(2026, 11, 30, 23, 0), datetime(2026, 11, 30, 23, 0), False, 0),   # at the limit
    (datetime(2026, 11, 30, 23, 0), datetime(2026, 11, 30, 23, 0, 1), True, 0),
    (datetime(2026, 11, 30, 23, 0), datetime(2026, 12, 1, 0, 30), True, 0),     # next month
    (datetime(2026, 11, 30, 23, 0), datetime(2026, 12, 1, 23, 0), True, 1),
    (datetime(2026, 2, 27, 23, 30), datetime(2026, 3, 1, 0, 10), True, 1),
    (datetime(2026, 2, 27, 23, 30), datetime(2026, 3, 2, 23, 31), True, 3),
    (datetime(2026, 12, 31, 12, 0), datetime(2027, 1, 7, 12, 0), True, 7),
    # an aware 'now' is converted: 2026-12-01 15:00 UTC = 2026-12-01 23:00 Shanghai
    (datetime(2026, 11, 30, 23, 0), datetime(2026, 12, 1, 15, 0, tzinfo=UTC), True, 1),
    (datetime(2026, 11, 30, 23, 0), datetime(2026, 12, 1, 14, 59, tzinfo=UTC), True, 0),
])
def test_overdue_arithmetic(deadline: datetime, now: datetime, overdue: bool, days: int):
    flags = overdue_flags(pd.Series([deadline, deadline]), now, pd.Series(["rectifying", "closed"]))
    assert flags.tolist() == [overdue, False]  # the one overdue rule (civdata.core.query)
    assert workflow.days_overdue(deadline, now) == days


def test_assign_across_month_end_uses_the_class_limit(session, world, clock):
    clock.at = datetime(2026, 11, 29, 22, 15)
    p = _report(session, world)
    p = workflow.transition(session, world["actors"]["office"], p.id, "assign",
                            expected_version=1, responsible_unit="城管")
    assert p.deadline == datetime(2026, 12, 2, 22, 15)


@pytest.mark.parametrize(("days", "rung"), [(0, None), (1, "subdistrict_head"),
                                            (2, "subdistrict_head"), (3, "district"),
                                            (6, "district"), (7, "accountability"),
                                            (40, "accountability")])
def test_escalation_rung(session, world, days: int, rung: str | None):
    assert workflow.rung_for(days, workflow.escalation_rungs(session)) == rung


def test_rung_for_empty_ladder():
    assert workflow.rung_for(5, pd.DataFrame(columns=["days_overdue", "code"])) is None


def test_office_changes_time_limits_and_ladder(session, world, clock):
    office, own = world["actors"]["office"], world["actors"]["own"]
    with pytest.raises(PermissionDenied):
        workflow.set_time_limit(session, own, "sanitation", 10)
    assert _code(lambda: workflow.set_time_limit(session, office, "sanitation", 0)) \
        == "invalid_value"
    workflow.set_time_limit(session, office, "sanitation", 10)
    p = _report(session, world)
    p = workflow.transition(session, office, p.id, "assign", expected_version=1,
                            responsible_unit="城管")
    assert p.deadline == T0 + timedelta(days=10)
    with pytest.raises(PermissionDenied):
        workflow.set_escalation_rungs(session, own, [{"days_overdue": 2, "code": "x"}])
    with pytest.raises(CivDataError):
        workflow.set_escalation_rungs(session, office, [{"days_overdue": 2, "code": "x"},
                                                        {"days_overdue": 2, "code": "y"}])
    workflow.set_escalation_rungs(session, office, [{"days_overdue": 2, "code": "head"},
                                                    {"days_overdue": 5, "code": "list"}])
    rungs = workflow.escalation_rungs(session)
    assert list(rungs["code"]) == ["head", "list"]
    assert workflow.rung_for(1, rungs) is None and workflow.rung_for(5, rungs) == "list"


def test_actions_from():
    assert workflow.actions_from("submitted") == ["accept", "reject"]
    assert workflow.actions_from("closed") == []


def test_a_point_outside_the_district_is_refused(sample_session) -> None:
    from sqlalchemy import func, select

    from civdata.core import models as m
    from civdata.core.auth import Actor
    from civdata.core.errors import CivDataError
    from civdata.domain.workflow import report_problem

    nanhu = sample_session.scalar(select(m.Subdistrict.id).where(m.Subdistrict.code == "nanhu"))
    before = sample_session.scalar(select(func.count(m.Problem.id)))
    with pytest.raises(CivDataError) as err:  # Beijing, not Shenyang
        report_problem(sample_session, Actor("office", "office"), subdistrict_id=nanhu,
                       class_code="sanitation", lat=39.9087, lon=116.3975,
                       description="坐标错误", source="public_report")
    assert err.value.code == "outside_district"
    assert "不在和平区范围内" in err.value.message("zh")
    assert sample_session.scalar(select(func.count(m.Problem.id))) == before


def test_a_code_taken_by_a_concurrent_writer_is_skipped(sample_session, monkeypatch) -> None:
    from sqlalchemy import select

    from civdata.core import models as m
    from civdata.core.auth import Actor
    from civdata.domain import workflow

    office = Actor("office", "office")
    nanhu = sample_session.scalar(select(m.Subdistrict.id).where(m.Subdistrict.code == "nanhu"))
    args = {"subdistrict_id": nanhu, "class_code": "sanitation", "lat": 41.758, "lon": 123.418,
            "description": "地面有垃圾", "source": "public_report"}
    first = workflow.report_problem(sample_session, office, **args)
    real_next = workflow._next_code
    calls = []

    def racing_next(session, now):
        calls.append(1)
        return first.code if len(calls) == 1 else real_next(session, now)  # lost the race once

    monkeypatch.setattr(workflow, "_next_code", racing_next)
    second = workflow.report_problem(sample_session, office, **args)
    sample_session.commit()
    assert second.code != first.code and len(calls) == 2
    assert sample_session.scalar(select(m.ProblemEvent.to_status).where(
        m.ProblemEvent.problem_id == second.id)) == "discovered"


def test_a_passing_reinspection_stands_in_for_the_after_photo(session, world):
    from tests.factories import make_market

    market_actor = world["actors"]["market"]
    mk = make_market(session, world["a"])
    p = make_problem(session, world["a"], world["cls"], status="rectifying", version=1,
                     source="market_inspection", market_id=mk.id)

    inspectors = iter("甲乙丙")  # one inspection per inspector, day and kind

    def inspection(**kw) -> int:
        row = m.MarketInspection(market_id=mk.id, inspected_on=T0.date(),
                                 inspector=next(inspectors), total_score=95.0, **kw)
        session.add(row)
        session.flush()
        return row.id

    failing = inspection(is_reinspection=True, findings=1)
    routine = inspection(is_reinspection=False, findings=0)
    for evidence in (failing, routine, None):
        assert _code(lambda e=evidence: workflow.transition(
            session, market_actor, p.id, "submit", expected_version=1, note="复检",
            evidence_inspection_id=e)) == "submit_needs_evidence"
    passing = inspection(is_reinspection=True, findings=0, photo="cd/reinspect.jpg")
    done = workflow.transition(session, market_actor, p.id, "submit", expected_version=1,
                               note="复检通过", evidence_inspection_id=passing)
    assert (done.status, done.photo_after) == ("submitted", "cd/reinspect.jpg")


# --- photo names: only those the photo store issued, for files it holds (issue 15) ----------

def _not_issued(folder) -> list[str]:
    """Return photo names the store never issued: paths out, odd shapes, a missing file."""
    from civdata.io.photos import photo_name

    (folder / "ab").mkdir(parents=True, exist_ok=True)
    (folder / "ab" / "abc.jpg").write_bytes(b"planted")  # exists, but not a name it issues
    return ["../../etc/passwd.jpg", "/etc/passwd", "ab/abc.jpg", "thumbs/x.jpg",
            "AB/" + "A" * 32 + ".jpg", photo_name(png((1, 2, 3)), "PNG")]  # last: not stored


def test_submit_refuses_a_photo_the_store_did_not_issue(session, world, tmp_path):
    office = world["actors"]["office"]
    p = make_problem(session, world["a"], world["cls"], status="rectifying", version=1)
    for name in _not_issued(tmp_path / "photos"):
        assert _code(lambda n=name: workflow.transition(
            session, office, p.id, "submit", expected_version=1, note="已整改",
            photo_after=n)) == "photo_not_stored", name
    session.expire_all()
    fresh = session.get(m.Problem, p.id)
    assert (fresh.status, fresh.version, fresh.photo_after) == ("rectifying", 1, None)
    assert _events(session, p.id) == []
    done = workflow.transition(session, office, p.id, "submit", expected_version=1,
                               note="已整改", photo_after=world["shots"][1])
    assert (done.status, done.photo_after) == ("submitted", world["shots"][1])


def test_report_and_reopen_refuse_a_photo_the_store_did_not_issue(session, world,
                                                                  tmp_path):
    office = world["actors"]["office"]
    closed = make_problem(session, world["a"], world["cls"], status="closed", closed_at=T0)
    for name in _not_issued(tmp_path / "photos"):
        assert _code(lambda n=name: workflow.report_problem(
            session, office, subdistrict_id=world["a"].id, class_code="sanitation", lat=41.785,
            lon=123.40, description="垃圾堆放", source="spot_check",
            photo_before=n)) == "photo_not_stored", name
        assert _code(lambda n=name: workflow.reopen_problem(
            session, office, closed.id, photo_before=n)) == "photo_not_stored", name
    assert workflow.problem_count(session) == 1
    assert session.scalar(select(func.count()).select_from(m.AuditLog)) == 0
    new = workflow.reopen_problem(session, office, closed.id, photo_before=world["shots"][0])
    assert new.photo_before == world["shots"][0]


def test_market_inspection_refuses_a_photo_the_store_did_not_issue(session, world,
                                                                   tmp_path):
    from civdata.domain import markets
    from tests.factories import make_market

    mk = make_market(session, world["a"])
    session.add(m.ChecklistItem(code="hygiene", name_zh="环境卫生", name_en="hygiene",
                                max_points=10.0, threshold=6.0, sort_order=1))
    session.flush()
    perfect = {"hygiene": 10.0}
    office = world["actors"]["office"]
    for name in _not_issued(tmp_path / "photos"):
        assert _code(lambda n=name: markets.record_inspection(
            session, office, mk.id, T0.date(), "甲", perfect, photo=n)) == "photo_not_stored"
    assert session.scalar(select(func.count()).select_from(m.MarketInspection)) == 0
    out = markets.record_inspection(session, office, mk.id, T0.date(), "甲", perfect,
                                    photo=world["shots"][0])
    assert session.get(m.MarketInspection, out.inspection_id).photo == world["shots"][0]


# --- who may report and reopen what (issue 15) ------------------------------------------------

def test_market_bureau_reopens_only_its_inspections_problems(session, world):
    market = world["actors"]["market"]
    public = make_problem(session, world["a"], world["cls"], status="closed", closed_at=T0,
                          source="public_report")
    with pytest.raises(PermissionDenied):
        workflow.reopen_problem(session, market, public.id)
    assert workflow.problem_count(session) == 1
    own = make_problem(session, world["a"], world["cls"], status="closed", closed_at=T0,
                       source="market_inspection")
    again = workflow.reopen_problem(session, market, own.id)
    assert (again.source, again.reopened_from_id) == ("market_inspection", own.id)


def test_a_report_links_only_a_site_of_its_own_subdistrict(session, world):
    far = make_site(session, world["b"], lat=41.7851, lon=123.4001)
    for actor in ("office", "own"):
        assert _code(lambda a=actor: workflow.report_problem(
            session, world["actors"][a], subdistrict_id=world["a"].id, class_code="sanitation",
            lat=41.7851, lon=123.4001, description="垃圾堆放", source="daily_inspection",
            site_id=far.id)) == "site_wrong_subdistrict"
    assert workflow.problem_count(session) == 0


def test_a_subdistrict_account_reports_only_points_inside_its_boundary(session, clock):
    west = {"type": "Polygon", "coordinates": [[[123.37, 41.76], [123.40, 41.76], [123.40, 41.81],
                                                [123.37, 41.81], [123.37, 41.76]]]}
    sub = make_subdistrict(session, code="west", boundary=west)
    make_problem_class(session, code="sanitation", time_limit_days=3)
    own = Actor("west", "subdistrict", sub.id)
    args = {"subdistrict_id": sub.id, "class_code": "sanitation", "description": "垃圾堆放",
            "source": "daily_inspection"}
    err = _code(lambda: workflow.report_problem(session, own, lat=41.785, lon=123.405, **args))
    assert err == "point_outside_subdistrict"
    assert workflow.problem_count(session) == 0
    assert workflow.report_problem(session, own, lat=41.785, lon=123.395, **args).status \
        == "discovered"
    # the office may file a point across the line (a border street) for a subdistrict
    assert workflow.report_problem(session, Actor("office", "office"), lat=41.785, lon=123.405,
                                   **args).status == "discovered"
