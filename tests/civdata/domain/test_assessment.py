"""The monthly assessment (issue 21): indicators equal hand counts, scores and ranks, the office's
settings (audited, refused for others), the frozen month, and the xlsx/docx exports."""

from __future__ import annotations

import io
import json
from datetime import date, datetime

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.core.errors import CivDataError, PermissionDenied
from civdata.domain import assessment
from civdata.io import monthly_export, word
from tests.factories import make_community, make_market, make_problem, make_subdistrict

OFFICE = Actor("office", "office")
LEADER = Actor("leader", "leader")
STAFF = Actor("nanhu", "subdistrict", subdistrict_id=1)
NOW = datetime(2026, 12, 2, 9, 0)


def _closed(session: Session, sub: m.Subdistrict, found: datetime, closed: datetime,
            on_time: bool, unit: str, **kw: object) -> m.Problem:
    """Create a problem closed at closed (on time or not)."""
    return make_problem(session, sub, discovered_at=found, status="closed", closed_at=closed,
                        closed_on_time=on_time, responsible_unit=unit, **kw)


def _task(session: Session, content_id: int, sub: m.Subdistrict, unit: str, deadline: datetime,
          done_at: datetime | None) -> None:
    """Create a readiness task due at deadline (done at done_at, or open)."""
    session.add(m.EvalTask(content_id=content_id, task="任务", standard="标准", measures="措施",
                           responsible_unit=unit, responsible_person="张三",
                           subdistrict_id=sub.id, deadline=deadline,
                           status="done" if done_at else "open", done_at=done_at))


def build(session: Session) -> dict:
    """Write the small data set: Nanhu (A) and Xita (B) in October and November 2026."""
    a = make_subdistrict(session, code="nanhu", name_zh="南湖", name_en="Nanhu")
    b = make_subdistrict(session, code="xita", name_zh="西塔", name_en="Xita")
    # A, November: 4 closed (3 on time), 1 overdue at the month's end, 1 repeat
    a1 = _closed(session, a, datetime(2026, 11, 1, 9), datetime(2026, 11, 3, 9), True, "U1")
    _closed(session, a, datetime(2026, 11, 1, 9), datetime(2026, 11, 4, 9), True, "U1")
    _closed(session, a, datetime(2026, 11, 2, 9), datetime(2026, 11, 6, 9), True, "U2")
    _closed(session, a, datetime(2026, 11, 2, 9), datetime(2026, 11, 8, 9), False, "U2")
    make_problem(session, a, discovered_at=datetime(2026, 11, 5, 9),
                 deadline=datetime(2026, 11, 10, 9), responsible_unit="U2")
    make_problem(session, a, discovered_at=datetime(2026, 11, 20, 9),
                 deadline=datetime(2026, 12, 10, 9), responsible_unit="U1",
                 reopened_from_id=a1.id)
    # A, October: one closed on time
    _closed(session, a, datetime(2026, 10, 1, 9), datetime(2026, 10, 5, 9), True, "U1")
    # B: November two closed on time; October one closed late
    _closed(session, b, datetime(2026, 11, 2, 9), datetime(2026, 11, 4, 9), True, "U3")
    _closed(session, b, datetime(2026, 11, 3, 9), datetime(2026, 11, 5, 9), True, "U3")
    _closed(session, b, datetime(2026, 10, 2, 9), datetime(2026, 10, 10, 9), False, "U3")
    # markets in November: A 85 and 95, B 80
    ma, mb = make_market(session, a), make_market(session, b)
    for market, day, who, score in ((ma, date(2026, 11, 10), "甲", 85), (ma, date(2026, 11, 11),
                                    "甲", 95), (mb, date(2026, 11, 10), "乙", 80)):
        session.add(m.MarketInspection(market_id=market.id, inspected_on=day, inspector=who,
                                       total_score=score))
    # volunteers in November: A has 2 communities (one covered), B 1 (covered)
    ca1, _ca2, cb1 = make_community(session, a), make_community(session, a), make_community(
        session, b)
    team = m.VolunteerTeam(code="T1", name_zh="队1", name_en="Team 1", service_type="civic",
                           subdistrict_id=a.id, members=20, lat=41.78, lon=123.4)
    session.add(team)
    session.flush()
    for community, sub in ((ca1, a), (cb1, b)):
        session.add(m.VolunteerActivity(team_id=team.id, held_on=date(2026, 11, 12),
                                        title=f"活动{community.id}", place="广场",
                                        community_id=community.id, subdistrict_id=sub.id,
                                        lat=41.78, lon=123.4, service_type="civic",
                                        participants=5, volunteer_hours=10))
    # readiness tasks due in November in A: U1's done on time, U2's done late
    edition = m.EvalEdition(code="E", year=2026, name_zh="版", name_en="Ed", is_current=True,
                            loaded_at=NOW, loaded_by="x")
    session.add(edition)
    session.flush()
    part = m.EvalPart(edition_id=edition.id, code="P", name_zh="部", name_en="P", kind="basic")
    session.add(part)
    session.flush()
    item = m.EvalItem(edition_id=edition.id, part_id=part.id, code="I", name_zh="项", name_en="I")
    session.add(item)
    session.flush()
    content = m.EvalContent(edition_id=edition.id, item_id=item.id, code="C", name_zh="内容",
                            name_en="C", points=1, method="materials", lead_unit="U1")
    session.add(content)
    session.flush()
    _task(session, content.id, a, "U1", datetime(2026, 11, 15, 18), datetime(2026, 11, 14, 9))
    _task(session, content.id, a, "U2", datetime(2026, 11, 20, 18), datetime(2026, 11, 25, 9))
    session.commit()
    return {"a": a, "b": b}


def _row(rows: list[dict], code: str) -> dict:
    """Return the row with code."""
    return next(r for r in rows if r["code"] == code)


def test_month_arithmetic() -> None:
    assert assessment.parse_month(" 2026-1 ") == "2026-01"
    assert assessment.month_bounds("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))
    assert assessment.previous_month("2026-01") == "2025-12"
    assert assessment.recent_months(date(2026, 2, 10), 3) == ["2026-02", "2026-01", "2025-12"]
    for bad in ("2026-13", "November", ""):
        with pytest.raises(CivDataError):
            assessment.parse_month(bad)


def test_indicators_equal_hand_counts(session: Session) -> None:
    build(session)
    snap = assessment.monthly_snapshot(session, "2026-11", NOW)
    a, b = _row(snap["subdistricts"], "nanhu"), _row(snap["subdistricts"], "xita")
    assert (a["closed"], a["closed_on_time"]) == (4, 3)
    assert a["on_time_closure"] == pytest.approx(0.75)
    assert a["overdue_count"] == 1
    assert a["repeat_problems"] == 1
    assert a["market_score"] == pytest.approx(90.0)
    assert a["volunteer_coverage"] == pytest.approx(0.5)
    assert (a["tasks_due"], a["tasks_on_time"]) == (2, 1)
    assert a["readiness_on_time"] == pytest.approx(0.5)
    assert a["progress_vs_plan"] is None  # no projects: left out of the score
    assert (b["on_time_closure"], b["overdue_count"], b["repeat_problems"]) == (1.0, 0, 0)
    assert b["market_score"] == pytest.approx(80.0)
    assert b["readiness_on_time"] is None


def test_scores_ranks_and_change_of_rank(session: Session) -> None:
    build(session)
    snap = assessment.monthly_snapshot(session, "2026-11", NOW)
    a, b = _row(snap["subdistricts"], "nanhu"), _row(snap["subdistricts"], "xita")
    # default weights: closure 25, overdue 15, repeats 10, market 15, coverage 10, readiness 10;
    # ratios capped at 1.25; lower-is-better ratio = target / actual (1.25 at zero)
    a_score = 100 * (25 * 0.75 / 0.9 + 15 * 1.25 + 10 * 1.0 + 15 * 1.0 + 10 * 0.5 / 0.8
                     + 10 * 0.5 / 0.9) / 85
    b_score = 100 * (25 * 1.0 / 0.9 + 15 * 1.25 + 10 * 1.25 + 15 * 80 / 90 + 10 * 1.25) / 75
    assert a["score"] == pytest.approx(a_score)
    assert b["score"] == pytest.approx(b_score)
    assert (b["rank"], a["rank"]) == (1, 2)
    # October: A closed on time, B late; no market, coverage 0 for both
    a_oct = 100 * (25 * 1.0 / 0.9 + 15 * 1.25 + 10 * 1.25 + 0) / 60
    b_oct = 100 * (0 + 15 * 1.25 + 10 * 1.25 + 0) / 60
    assert a["score_before"] == pytest.approx(a_oct)
    assert b["score_before"] == pytest.approx(b_oct)
    assert (a["rank_before"], b["rank_before"]) == (1, 2)
    assert (a["rank_change"], b["rank_change"]) == (-1, 1)


def test_units_are_scored_on_their_own_indicators(session: Session) -> None:
    build(session)
    units = assessment.monthly_snapshot(session, "2026-11", NOW)["units"]
    u1, u2 = _row(units, "U1"), _row(units, "U2")
    assert (u1["closed"], u1["closed_on_time"], u1["overdue_count"], u1["repeat_problems"]) == (
        2, 2, 0, 1)
    assert (u2["closed"], u2["closed_on_time"], u2["overdue_count"]) == (2, 1, 1)
    assert (u1["readiness_on_time"], u2["readiness_on_time"]) == (1.0, 0.0)
    assert u1["rank"] < u2["rank"]
    assert "market_score" not in u1


def test_office_sets_an_indicator_and_it_is_audited(session: Session) -> None:
    build(session)
    assessment.set_assessment_indicator(session, OFFICE, "market_score", 80.0, 30.0)
    session.commit()
    table = assessment.assessment_indicators(session).set_index("metric")
    assert (table.loc["market_score", "target"], table.loc["market_score", "weight"]) == (80, 30)
    audit = session.scalars(select(m.AuditLog).where(
        m.AuditLog.action == "set_assessment_indicator")).all()
    assert len(audit) == 1 and json.loads(audit[0].new_values)["weight"] == 30.0
    snap = assessment.monthly_snapshot(session, "2026-11", NOW)
    assert _row(snap["subdistricts"], "xita")["market_score_ratio"] == pytest.approx(1.0)


@pytest.mark.parametrize(("actor", "code", "target", "weight"), [
    (LEADER, "market_score", 80.0, 10.0), (STAFF, "market_score", 80.0, 10.0),
    (OFFICE, "market_score", 0.0, 10.0), (OFFICE, "market_score", 80.0, -1.0),
    (OFFICE, "no_such", 1.0, 1.0)])
def test_a_refused_setting_leaves_nothing(session: Session, actor: Actor, code: str,
                                          target: float, weight: float) -> None:
    build(session)
    with pytest.raises(CivDataError):
        assessment.set_assessment_indicator(session, actor, code, target, weight)
    session.rollback()
    assert session.scalar(select(func.count(m.AssessmentIndicator.id))) == 0
    assert session.scalar(select(func.count(m.AuditLog.id))) == 0


def test_closing_freezes_the_month(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = build(session)
    monkeypatch.setattr(assessment, "now_local", lambda: NOW)
    record = assessment.close_month(session, LEADER, "2026-11")
    session.commit()
    before = _row(record["subdistricts"], "nanhu")
    # later: another November closure in A, and the office changes a weight
    _closed(session, rows["a"], datetime(2026, 11, 28, 9), datetime(2026, 11, 29, 9), True, "U1")
    assessment.set_assessment_indicator(session, OFFICE, "on_time_closure", 0.9, 50.0)
    session.commit()
    live = _row(assessment.monthly_snapshot(session, "2026-11", NOW)["subdistricts"], "nanhu")
    assert live["closed"] == 5 and live["score"] != before["score"]
    shown = assessment.assessment_snapshot(session, "2026-11")
    assert shown["record"] == {"closed_at": NOW.isoformat(), "closed_by": "leader"}
    assert _row(shown["subdistricts"], "nanhu") == before
    assert shown["indicators"] == record["indicators"]
    with pytest.raises(CivDataError) as err:
        assessment.close_month(session, OFFICE, "2026-11")
    assert err.value.code == "month_closed"
    assert "2026-11" in err.value.message("zh")
    audit = session.scalars(select(m.AuditLog).where(m.AuditLog.action == "close_month")).all()
    assert len(audit) == 1


def test_closing_is_refused_to_staff_and_leaves_no_row(session: Session) -> None:
    build(session)
    with pytest.raises(PermissionDenied):
        assessment.close_month(session, STAFF, "2026-11")
    session.rollback()
    assert session.scalar(select(func.count(m.AssessmentMonth.id))) == 0


def test_a_month_not_begun_cannot_be_closed(session: Session,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    build(session)
    monkeypatch.setattr(assessment, "now_local", lambda: NOW)
    with pytest.raises(CivDataError) as err:
        assessment.close_month(session, OFFICE, "2027-01")
    assert err.value.code == "month_not_started"


def test_exports_open_with_chinese_text_and_fonts(session: Session) -> None:
    build(session)
    snap = assessment.monthly_snapshot(session, "2026-11", NOW)
    book = load_workbook(io.BytesIO(monthly_export.monthly_xlsx(snap, "zh")))
    assert book.sheetnames == ["街道考核排名", "责任单位考核排名", "考核指标设置"]
    sheet = book["街道考核排名"]
    assert sheet["A1"].value == "月度考核 2026-11"
    header = [c.value for c in sheet[3]]
    assert header[:3] == ["名次", "街道", "得分"]
    first = [c.value for c in sheet[4]]
    assert first[:2] == [1, "西塔"]
    doc = Document(io.BytesIO(monthly_export.monthly_docx(snap, "zh")))
    assert doc.paragraphs[0].text == "月度考核 2026-11"
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert "南湖" in cells and "按期办结率 %" in cells
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                for run in (r for p in cell.paragraphs for r in p.runs if r.text.strip()):
                    assert run._element.rPr.rFonts.get(qn("w:eastAsia")) == word.EA_FONT


def test_a_whole_month_is_compared_with_the_whole_month_before(session: Session) -> None:
    rows = build(session)
    _closed(session, rows["a"], datetime(2026, 10, 30, 9), datetime(2026, 10, 31, 12), False,
            "U1")  # the last day of October counts for October
    session.commit()
    oct_alone = _row(assessment.monthly_snapshot(session, "2026-10", NOW)["subdistricts"], "nanhu")
    assert (oct_alone["closed"], oct_alone["closed_on_time"]) == (2, 1)
    nov = _row(assessment.monthly_snapshot(session, "2026-11", NOW)["subdistricts"], "nanhu")
    assert nov["score_before"] == pytest.approx(oct_alone["score"])


def test_an_unfinished_month_is_compared_with_the_same_span(session: Session) -> None:
    build(session)
    snap = assessment.monthly_snapshot(session, "2026-11", datetime(2026, 11, 5, 12))
    assert not snap["complete"]
    assert (snap["as_of"], snap["previous_as_of"]) == ("2026-11-05T12:00:00",
                                                       "2026-10-05T12:00:00")
    a = _row(snap["subdistricts"], "nanhu")
    assert (a["closed"], a["closed_on_time"]) == (2, 2)  # the 3rd and the 4th; not the 6th, 8th
    assert a["score_before"] is not None  # October's closure on the 5th at 09:00 counts


def test_the_sample_equals_hand_counts_for_one_subdistrict(sample_reader: Session) -> None:
    """Issue 21's 'done means': the month's figures of one subdistrict on the sample (SQLite
    and PostgreSQL) equal counts made by hand from the raw rows."""
    from datetime import date as date_cls

    import pandas as pd
    from sqlalchemy import select

    from tests.conftest import SAMPLE_AS_OF

    s = sample_reader
    snap = assessment.assessment_snapshot(s, assessment.month_of(SAMPLE_AS_OF))
    row = next(r for r in snap["subdistricts"] if r["code"] == "nanhu")
    nanhu = s.scalar(select(m.Subdistrict.id).where(m.Subdistrict.code == "nanhu"))
    start, end = pd.Timestamp(snap["first"]), pd.Timestamp(snap["as_of"])
    p = pd.read_sql(select(m.Problem.closed_at, m.Problem.closed_on_time)
                    .where(m.Problem.subdistrict_id == nanhu), s.connection())
    closed_at = pd.to_datetime(p["closed_at"])
    in_month = p[(closed_at >= start) & (closed_at < end)]
    assert row["closed"] == len(in_month) > 0
    assert row["closed_on_time"] == int(in_month["closed_on_time"].astype(bool).sum())
    assert row["on_time_closure"] == pytest.approx(row["closed_on_time"] / row["closed"])
    first = date_cls.fromisoformat(snap["first"])
    last_day = (end - pd.Timedelta(microseconds=1)).date()
    scores = [float(v) for v in s.scalars(
        select(m.MarketInspection.total_score).join(m.Market)
        .where(m.Market.subdistrict_id == nanhu, m.MarketInspection.inspected_on >= first,
               m.MarketInspection.inspected_on <= last_day))]
    assert row["inspections"] == len(scores) > 0
    assert row["market_score"] == pytest.approx(sum(scores) / len(scores))
    tasks = s.execute(select(m.EvalTask.deadline, m.EvalTask.status, m.EvalTask.done_at)
                      .where(m.EvalTask.subdistrict_id == nanhu)).all()
    due = [t for t in tasks if start <= pd.Timestamp(t.deadline) < end]
    on_time = [t for t in due if t.status == "done" and t.done_at and t.done_at <= t.deadline]
    assert (row["tasks_due"], row["tasks_on_time"]) == (len(due), len(on_time))
