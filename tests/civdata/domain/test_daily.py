"""The daily report (issue 21): figures equal hand counts for one subdistrict on a small data set
(SQLite and PostgreSQL), the three most serious problems, the Markdown and the Word export."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from docx import Document
from docx.oxml.ns import qn
from sqlalchemy.orm import Session

from civdata.core import models as m
from civdata.domain import daily
from civdata.io import daily_export, word
from tests.factories import (
    make_market,
    make_problem,
    make_problem_class,
    make_project,
    make_site,
    make_subdistrict,
)

D = date(2026, 11, 24)
BEFORE = D - timedelta(days=1)
NOW = datetime(2026, 11, 26, 12, 0)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """Return day at hour:minute."""
    return datetime.combine(day, datetime.min.time()).replace(hour=hour, minute=minute)


def build(session: Session) -> dict:
    """Write the small data set (hand counts in the tests below); return its rows by name."""
    a = make_subdistrict(session, code="nanhu", name_zh="南湖", name_en="Nanhu")
    b = make_subdistrict(session, code="xita", name_zh="西塔", name_en="Xita")
    c1 = make_problem_class(session, code="sanitation", name_zh="环境卫生",
                            name_en="Sanitation", risk_weight=1.0)
    c2 = make_problem_class(session, code="order", name_zh="公共秩序", name_en="Public order",
                            risk_weight=2.0)
    session.add_all([m.EscalationRung(days_overdue=1, code="r1", name_zh="街道督办",
                                      name_en="Subdistrict"),
                     m.EscalationRung(days_overdue=3, code="r2", name_zh="区督办",
                                      name_en="District")])
    site = make_site(session, a, name_zh="中山广场", name_en="Zhongshan Square")
    p = {}
    p["p1"] = make_problem(session, a, c1, discovered_at=_at(D, 9),
                           deadline=_at(D + timedelta(days=3), 9))
    p["p2"] = make_problem(session, a, c2, discovered_at=_at(BEFORE, 10), status="closed",
                           closed_at=_at(D, 15), closed_on_time=True)
    p["p3"] = make_problem(session, a, c1, discovered_at=datetime(2026, 11, 10, 9),
                           deadline=datetime(2026, 11, 20, 9), site_id=site.id,
                           responsible_unit="南湖街道城管科", photo_before="before-p3.jpg",
                           description="垃圾*堆放")
    p["p4"] = make_problem(session, a, c2, discovered_at=datetime(2026, 11, 15, 9),
                           deadline=datetime(2026, 11, 22, 12))
    p["p5"] = make_problem(session, a, c1, discovered_at=datetime(2026, 11, 18, 9),
                           deadline=datetime(2026, 11, 21, 8), status="closed",
                           closed_at=_at(D, 20), closed_on_time=False)
    p["p6"] = make_problem(session, a, c2, discovered_at=_at(D, 23, 30),
                           deadline=_at(D + timedelta(days=1), 23, 30))
    p["p7"] = make_problem(session, a, c1, discovered_at=_at(BEFORE, 8), status="closed",
                           closed_at=_at(BEFORE, 18), closed_on_time=True)
    p["q1"] = make_problem(session, b, c1, discovered_at=_at(D, 10), deadline=_at(D, 11))
    # markets: two checklist items, a score below 40 fails
    i1 = m.ChecklistItem(code="food", name_zh="食品安全", name_en="Food safety", max_points=50,
                         threshold=40, sort_order=1)
    i2 = m.ChecklistItem(code="hygiene", name_zh="环境卫生", name_en="Hygiene", max_points=50,
                         threshold=40, sort_order=2)
    session.add_all([i1, i2])
    session.flush()
    ma, mb = make_market(session, a), make_market(session, b)
    for market, day, inspector, s1, s2 in ((ma, D, "甲", 35, 45), (ma, D, "乙", 45, 45),
                                           (ma, BEFORE, "甲", 30, 30), (mb, D, "丙", 35, 35)):
        ins = m.MarketInspection(market_id=market.id, inspected_on=day, inspector=inspector,
                                 total_score=s1 + s2, findings=int(s1 < 40) + int(s2 < 40))
        session.add(ins)
        session.flush()
        session.add_all([m.MarketInspectionScore(inspection_id=ins.id, item_id=i1.id, score=s1),
                         m.MarketInspectionScore(inspection_id=ins.id, item_id=i2.id, score=s2)])
    # renovation: pr1 trails its plan (slipping both days), pr2 is complete
    pr1 = make_project(session, a, stage="under_construction", floor_area_m2=1000)
    pr2 = make_project(session, a, stage="completed", floor_area_m2=1000)
    session.add_all([
        m.ProjectProgress(project_id=pr1.id, reported_on=D, percent=10, stage="under_construction",
                          reported_by="x"),
        m.ProjectProgress(project_id=pr2.id, reported_on=BEFORE, percent=100, stage="completed",
                          reported_by="x")])
    # volunteers: two activities in A on D, none the day before
    team = m.VolunteerTeam(code="T1", name_zh="队1", name_en="Team 1", service_type="civic",
                           subdistrict_id=a.id, members=20, lat=41.78, lon=123.4)
    session.add(team)
    session.flush()
    for title, n, hours in (("清扫", 10, 20.0), ("宣传", 5, 7.5)):
        session.add(m.VolunteerActivity(team_id=team.id, held_on=D, title=title, place="广场",
                                        subdistrict_id=a.id, lat=41.78, lon=123.4,
                                        service_type="civic", participants=n,
                                        volunteer_hours=hours))
    session.commit()
    return {"a": a, "b": b, **p, "pr1": pr1}


def _headline(report: dict) -> dict:
    """Return {key: (now, before)} of a report's headline."""
    return {r["key"]: (r["now"], r["before"]) for r in report["headline"]}


def test_one_subdistrict_equals_hand_counts(session: Session) -> None:
    rows = build(session)
    report = daily.daily_report(session, D, rows["a"].id, now=NOW)
    fig = _headline(report)
    # D: new p1, p6; closed p2, p5; overdue at midnight p3, p4; p5 reached r2 at 08:00 while open
    # D-1: new p2, p7; closed p7; overdue p3, p4, p5; p3 reached r2, p4 reached r1
    assert fig["new"] == (2, 2)
    assert fig["closed"] == (2, 1)
    assert fig["overdue"] == (2, 3)
    assert fig["escalations"] == (1, 2)
    assert fig["inspections"] == (2, 1)
    assert fig["market_score"] == (pytest.approx(85.0), pytest.approx(60.0))
    assert fig["failed_items"] == (1, 2)
    assert fig["progress_reports"] == (1, 1)
    assert fig["slipping"] == (1, 1)
    assert fig["activities"] == (2, 0)
    assert fig["participants"] == (15, 0)
    assert fig["volunteer_hours"] == (pytest.approx(27.5), 0)
    by_class = {r["code"]: r for r in report["by_class"]}
    assert (by_class["sanitation"]["new"], by_class["sanitation"]["closed"],
            by_class["sanitation"]["overdue"]) == (1, 1, 1)
    assert (by_class["order"]["new"], by_class["order"]["closed"],
            by_class["order"]["overdue"]) == (1, 1, 1)
    assert (by_class["sanitation"]["overdue_before"], by_class["order"]["overdue_before"]) == (2, 1)
    esc = {r["code"]: (r["now"], r["before"]) for r in report["escalations"]}
    assert esc == {"r1": (0, 1), "r2": (1, 1)}
    assert [r["code"] for r in report["failed_items"]] == ["food"]
    assert [r["code"] for r in report["slipping_projects"]] == [rows["pr1"].code]
    assert [r["code"] for r in report["subdistricts"]] == ["nanhu"]


def test_district_adds_the_other_subdistrict(session: Session) -> None:
    build(session)
    report = daily.daily_report(session, D, None, now=NOW)
    fig = _headline(report)
    assert fig["new"][0] == 3  # + q1 in Xita
    assert fig["overdue"][0] == 3  # + q1, past its 11:00 deadline at midnight
    assert fig["inspections"][0] == 3
    assert fig["market_score"][0] == pytest.approx((80 + 90 + 70) / 3)
    assert fig["failed_items"][0] == 3
    per_sub = {r["code"]: r for r in report["subdistricts"]}
    assert per_sub["xita"]["new"] == 1 and per_sub["nanhu"]["new"] == 2
    assert sum(r["new"] for r in report["subdistricts"]) == fig["new"][0]


def test_most_serious_open_problems(session: Session) -> None:
    rows = build(session)
    report = daily.daily_report(session, D, rows["a"].id, now=NOW)
    serious = report["serious"]
    assert [r["code"] for r in serious] == [rows["p3"].code, rows["p4"].code, rows["p6"].code]
    # at midnight after D: p3 is 4 days 15 h past 11-20 09:00, p4 2 days 12 h past 11-22 12:00
    assert [r["hours_overdue"] for r in serious] == [111, 60, 0]
    top = serious[0]
    assert (top["site_zh"], top["responsible_unit"], top["photo"]) == (
        "中山广场", "南湖街道城管科", "before-p3.jpg")
    district = daily.daily_report(session, D, None, now=NOW)["serious"]
    assert [r["code"] for r in district] == [rows["p3"].code, rows["p4"].code, rows["q1"].code]


def test_an_unfinished_day_is_compared_with_the_same_span(session: Session) -> None:
    rows = build(session)
    report = daily.daily_report(session, D, rows["a"].id, now=_at(D, 12))
    assert not report["complete"]
    assert report["as_of"] == "2026-11-24T12:00:00"
    fig = _headline(report)
    assert fig["new"] == (1, 2)  # p1 by noon; the day before by noon: p2 (10:00), p7 (08:00)
    assert fig["closed"] == (0, 0)


def test_markdown_is_short_and_names_the_figures(session: Session) -> None:
    rows = build(session)
    text = daily.report_markdown(daily.daily_report(session, D, rows["a"].id, now=NOW), "zh")
    assert text.startswith("**创城日报 2026-11-24 · 南湖**")
    assert "新增 2(±0)" in text and "办结 2(+1)" in text and "超期 2(-1)" in text
    assert "市场巡查：2(+1) 次，均分 85.0(+25.0)" in text
    assert f"1. {rows['p3'].code} 南湖·环境卫生，中山广场，责任单位 南湖街道城管科，超期 111 小时" \
        in text
    assert "有照片" in text
    assert len(text.encode("utf-8")) < 4096  # a WeCom markdown message's limit
    english = daily.report_markdown(daily.daily_report(session, D, None, now=NOW), "en")
    assert "Problems: 3(+1) new" in english


def test_daily_markdown_is_what_the_notifier_calls(session: Session,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    rows = build(session)
    monkeypatch.setattr(daily, "now_local", lambda: NOW)
    assert daily.daily_markdown(session, D, "zh", rows["a"].id) == daily.report_markdown(
        daily.daily_report(session, D, rows["a"].id, now=NOW), "zh")


def _runs(doc) -> list:
    """Return every run with text of a document, body and tables."""
    runs = [r for p in doc.paragraphs for r in p.runs]
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                runs += [r for p in cell.paragraphs for r in p.runs]
    return [r for r in runs if r.text.strip()]


def test_word_export_has_chinese_text_and_east_asian_fonts(session: Session) -> None:
    rows = build(session)
    blob = daily_export.daily_docx(daily.daily_report(session, D, rows["a"].id, now=NOW), "zh")
    doc = Document(io.BytesIO(blob))
    assert doc.paragraphs[0].text == "创城日报 2026-11-24 · 南湖"
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert "中山广场" in cells and "南湖街道城管科" in cells and "垃圾*堆放" in cells
    assert "新增问题" in cells
    runs = _runs(doc)
    assert runs
    for run in runs:
        fonts = run._element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == word.EA_FONT, run.text
        assert fonts.get(qn("w:ascii")) == word.LATIN_FONT
    normal = doc.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == word.EA_FONT


def test_write_daily_refuses_other_formats(tmp_path, session: Session) -> None:
    from civdata.core.errors import CivDataError

    rows = build(session)
    report = daily.daily_report(session, D, rows["a"].id, now=NOW)
    target = tmp_path / "report.txt"
    with pytest.raises(CivDataError):
        daily_export.write_daily(report, str(target), "zh")
    assert not target.exists()
    assert daily_export.write_daily(report, str(tmp_path / "r.md"), "zh") > 0


def test_the_sample_equals_hand_counts_for_one_subdistrict(sample_reader: Session) -> None:
    """Issue 21's 'done means': the daily figures of one subdistrict on the sample (SQLite and
    PostgreSQL) equal counts made by hand from the raw rows."""
    import pandas as pd
    from sqlalchemy import select

    from tests.conftest import SAMPLE_AS_OF

    s = sample_reader
    day = SAMPLE_AS_OF - timedelta(days=1)
    nanhu = s.scalar(select(m.Subdistrict.id).where(m.Subdistrict.code == "nanhu"))
    report = daily.daily_report(s, day, nanhu)
    fig = {r["key"]: r["now"] for r in report["headline"]}
    start = datetime.combine(day, datetime.min.time())
    end = start + timedelta(days=1)
    p = pd.read_sql(select(m.Problem.discovered_at, m.Problem.closed_at, m.Problem.deadline)
                    .where(m.Problem.subdistrict_id == nanhu), s.connection())
    found, closed = pd.to_datetime(p["discovered_at"]), pd.to_datetime(p["closed_at"])
    open_at_end = (found < end) & (closed.isna() | (closed >= end))
    assert fig["new"] == int(((found >= start) & (found < end)).sum())
    assert fig["closed"] == int(((closed >= start) & (closed < end)).sum())
    assert fig["overdue"] == int((open_at_end & (pd.to_datetime(p["deadline"]) < end)).sum())
    scores = [float(v) for v in s.scalars(
        select(m.MarketInspection.total_score).join(m.Market)
        .where(m.Market.subdistrict_id == nanhu, m.MarketInspection.inspected_on == day))]
    assert fig["inspections"] == len(scores) > 0
    assert fig["market_score"] == pytest.approx(sum(scores) / len(scores))
    acts = s.execute(select(m.VolunteerActivity.participants)
                     .where(m.VolunteerActivity.subdistrict_id == nanhu,
                            m.VolunteerActivity.held_on == day)).scalars().all()
    assert (fig["activities"], fig["participants"]) == (len(acts), sum(acts))
    whole = daily.daily_report(s, day)  # the district's table row equals the filtered report
    row = next(r for r in whole["subdistricts"] if r["code"] == "nanhu")
    assert {k: row[k] for k in ("new", "closed", "overdue", "inspections")} == {
        k: fig[k] for k in ("new", "closed", "overdue", "inspections")}


def test_exports_show_a_dash_where_a_value_is_missing(session: Session) -> None:
    rows = build(session)  # Xita had no market inspection the day before D: no mean score
    report = daily.daily_report(session, BEFORE, None, now=NOW)
    assert next(r for r in report["subdistricts"] if r["code"] == "xita")["market_score"] is None
    doc = Document(io.BytesIO(daily_export.daily_docx(report, "zh")))
    texts = [c.text for t in doc.tables for r in t.rows for c in r.cells] + \
        [p.text for p in doc.paragraphs]
    sub_table = next(t for t in doc.tables if t.rows[0].cells[0].text == "街道")
    heads = [c.text for c in sub_table.rows[0].cells]
    xita = next([c.text for c in r.cells] for r in sub_table.rows if r.cells[0].text == "西塔")
    assert xita[heads.index("市场巡查均分")] == "—"
    assert not any(bad in t for t in texts for bad in ("None", "nan", "NaN", "<NA>"))
    text_md = daily.report_markdown(daily.daily_report(session, BEFORE, rows["b"].id, now=NOW),
                                     "zh")
    assert "—" in text_md and not any(bad in text_md for bad in ("None", "nan", "NaN"))
