"""Exports of the weekly meeting: slides with native charts and CJK fonts, workbook, CLI."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from pptx import Presentation
from pptx.oxml.ns import qn

from civdata import cli
from civdata.core.auth import Actor
from civdata.domain import meetings
from civdata.io import reports

NOW = datetime(2026, 11, 25, 10, 0)
TITLES_ZH = ["周调度会 2026-W48", "本周要情", "街道综合指数", "红黑榜", "问题闭环", "改造工程进度",
             "市场与志愿服务", "超期问题（前10）", "问责名单", "测评失分风险（前10）",
             "跟进事项"]


@pytest.fixture
def snapshot(sample_session) -> dict:
    """Return the W48 meeting with one follow-up, as the page shows it."""
    office = Actor("office", "office")
    meetings.open_meeting(sample_session, office, "2026-W48")
    meetings.add_action_item(sample_session, office, "2026-W48", "=HYPERLINK(\"x\")",
                             "马路湾街道", date(2026, 12, 1))
    return meetings.meeting_snapshot(sample_session, "2026-W48", NOW)


def test_safe_cell_neutralises_formulas() -> None:
    assert reports.safe_cell("=1+1") == "'=1+1"
    for text in ("+cmd", "-2", "@SUM(A1)", "\tx"):
        assert reports.safe_cell(text).startswith("'")
    assert reports.safe_cell("南湖") == "南湖"
    assert reports.safe_cell(-2) == -2  # numbers stay numbers


def test_pptx_slides_titles_and_chart_values(snapshot: dict) -> None:
    prs = Presentation(io.BytesIO(reports.weekly_pptx(snapshot, "zh")))
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles == TITLES_ZH
    charts = {s.shapes.title.text: sh.chart for s in prs.slides for sh in s.shapes
              if sh.has_chart}
    index = charts["街道综合指数"]
    assert list(index.plots[0].categories) == [r["name_zh"] for r in snapshot["index"]]
    assert [s.name for s in index.series] == ["本周", "上周"]
    assert list(index.series[0].values) == pytest.approx([r["index"] for r in snapshot["index"]])
    assert list(index.series[1].values) == pytest.approx(
        [r["index_before"] for r in snapshot["index"]])
    head = {h["key"]: h for h in snapshot["headline"]}
    problems = charts["问题闭环"]
    assert list(problems.series[0].values) == [head[k]["now"] for k in
                                               ("new", "closed", "closed_on_time", "overdue",
                                                "escalations")]
    ren = charts["改造工程进度"]
    assert list(ren.series[0].values) == pytest.approx([r["percent"]
                                                        for r in snapshot["renovation"]])
    services = charts["市场与志愿服务"]
    assert list(services.series[1].values) == pytest.approx(
        [r["market_score_before"] for r in snapshot["services"]])
    # Chinese text carries an East Asian typeface, not only the Latin one
    title_run = prs.slides[2].shapes.title.text_frame.paragraphs[0].runs[0]
    rpr = title_run._r.find(qn("a:rPr"))
    assert rpr.find(qn("a:ea")).get("typeface") == reports.EA_FONT
    assert rpr.find(qn("a:latin")).get("typeface") == reports.LATIN_FONT
    chart_ea = index._chartSpace.findall(".//" + qn("a:ea"))
    assert chart_ea and chart_ea[0].get("typeface") == reports.EA_FONT
    follow = [s for s in prs.slides if s.shapes.title.text == "跟进事项"][0]
    table = [sh for sh in follow.shapes if sh.has_table][0].table
    assert table.cell(1, 2).text == "=HYPERLINK(\"x\")"  # shown as text on a slide


def test_pptx_in_english(snapshot: dict) -> None:
    prs = Presentation(io.BytesIO(reports.weekly_pptx(snapshot, "en")))
    assert [s.shapes.title.text for s in prs.slides][:3] == [
        "Weekly meeting 2026-W48", "The week at a glance", "Subdistrict index"]


def test_xlsx_has_one_sheet_per_section_with_the_snapshot_values(snapshot: dict) -> None:
    wb = load_workbook(io.BytesIO(reports.weekly_xlsx(snapshot, "zh")))
    assert wb.sheetnames == ["本周要情", "街道综合指数", "红黑榜", "超期升级", "改造工程进度",
                             "市场与志愿服务", "超期问题（前10）", "问责名单", "测评失分风险（前10）",
                             "跟进事项"]
    tables = reports.section_tables(snapshot, "zh")
    ws = wb["街道综合指数"]
    assert ws["A1"].value.startswith("实时数据")
    assert [c.value for c in ws[2]][:3] == ["名次", "街道", "综合指数"]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert [r[1] for r in rows] == list(tables["index"]["name"])
    assert [r[2] for r in rows] == pytest.approx(list(tables["index"]["index"]))
    summary = {r[0]: r[1] for r in wb["本周要情"].iter_rows(min_row=3, values_only=True)}
    head = {h["key"]: h["now"] for h in snapshot["headline"]}
    assert summary["新发现问题"] == head["new"]
    items = list(wb["跟进事项"].iter_rows(min_row=3, values_only=True))
    assert items[0][2] == "'=HYPERLINK(\"x\")"  # formula neutralised
    assert items[0][0] == "本次会议"


def test_cli_writes_both_exports(sample_db: str, tmp_path, capsys) -> None:
    pptx_path, xlsx_path = tmp_path / "w.pptx", tmp_path / "w.xlsx"
    assert cli.main(["--lang", "zh", "report", "weekly", "--week", "2026-W48",
                     "--out", str(pptx_path)]) == 0
    assert cli.main(["--lang", "en", "report", "weekly", "--week", "2026-W48",
                     "--out", str(xlsx_path)]) == 0
    assert "live" in capsys.readouterr().out
    assert len(Presentation(str(pptx_path)).slides) == len(TITLES_ZH)
    assert "Subdistrict index" in load_workbook(str(xlsx_path)).sheetnames
    assert cli.main(["report", "weekly", "--week", "2026-W99", "--out", str(xlsx_path)]) == 1
    assert cli.main(["report", "weekly", "--week", "2026-W48", "--out",
                     str(tmp_path / "w.csv")]) == 1


def test_cli_exports_a_closed_meeting_from_its_record(sample_db: str, tmp_path,
                                                      capsys) -> None:
    from civdata.core.db import make_engine, session_scope

    eng = make_engine(sample_db)
    with session_scope(eng) as s:
        meetings.open_meeting(s, Actor("leader", "leader"), "2026-W47")
        record = meetings.close_meeting(s, Actor("leader", "leader"), "2026-W47")
    eng.dispose()
    out = tmp_path / "w47.xlsx"
    assert cli.main(["--lang", "zh", "report", "weekly", "--week", "2026-W47",
                     "--out", str(out)]) == 0
    assert "(record)" in capsys.readouterr().out
    ws = load_workbook(str(out))["街道综合指数"]
    assert ws["A1"].value.startswith("会议记录")
    assert [r[2] for r in ws.iter_rows(min_row=3, values_only=True)] == pytest.approx(
        [r["index"] for r in record["index"]])


def test_points_at_risk_slide_and_sheet(snapshot: dict, sample_session) -> None:
    from civdata.domain import evaluation

    risk = evaluation.points_at_risk(sample_session, datetime.fromisoformat(snapshot["as_of"]))
    rows = snapshot["points_at_risk"]
    assert 0 < len(rows) <= reports.RISK_ROWS
    assert [r["content_code"] for r in rows] == list(risk["content_code"].head(len(rows)))
    prs = Presentation(io.BytesIO(reports.weekly_pptx(snapshot, "zh")))
    slide = [s for s in prs.slides if s.shapes.title.text == "测评失分风险（前10）"][0]
    table = [sh for sh in slide.shapes if sh.has_table][0].table
    header = [table.cell(0, j).text for j in range(len(table.columns))]
    assert header[:3] == ["内容编号", "测评内容", "测评方式"]
    assert len(table.rows) == len(rows) + 1
    first = {h: table.cell(1, j).text for j, h in enumerate(header)}
    assert first["内容编号"] == rows[0]["content_code"]
    assert first["测评内容"] == rows[0]["content_zh"]
    assert first["预计失分"] == f"{rows[0]['points_lost']:.2f}"
    assert first["整改中"] == ("是" if rows[0]["work_under_way"] else "否")
    ea = table._tbl.findall(".//" + qn("a:ea"))
    assert ea and ea[0].get("typeface") == reports.EA_FONT
    wb = load_workbook(io.BytesIO(reports.weekly_xlsx(snapshot, "zh")))
    sheet = list(wb["测评失分风险（前10）"].iter_rows(min_row=2, values_only=True))
    assert sheet[0][:3] == ("内容编号", "测评内容", "测评方式")
    assert [r[0] for r in sheet[1:]] == [r["content_code"] for r in rows]
    assert [r[5] for r in sheet[1:]] == pytest.approx([r["points_lost"] for r in rows])
