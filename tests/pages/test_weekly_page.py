"""The weekly meeting page through AppTest: figures, lists, follow-ups, record, presentation."""

from __future__ import annotations

import plotly.io as pio
import pytest
from streamlit.testing.v1 import AppTest

from civdata.core import live
from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.core.db import make_engine, session_factory
from civdata.domain import meetings
from civdata.domain.district import metric_targets
from civdata.io import reports
from tests.pages import apptest
from tests.pages.apptest import DASHBOARD
from ui import weekly as weekly_ui

APP = DASHBOARD
WEEK = "2026-W48"


def _login(at: AppTest, user: str = "office") -> AppTest:
    """Run the app and sign in as a demo user."""
    return apptest.sign_in(at, user)


def table(at: AppTest, first_column: str, second_column: str):
    """Return the value of the page's dataframe whose first two headers are these."""
    for frame in at.dataframe:
        cols = list(frame.value.columns)
        if cols[:2] == [first_column, second_column]:
            return frame.value
    raise AssertionError(f"no table starting {first_column}, {second_column}")


def _snapshot(url: str, week: str = WEEK) -> dict:
    """Return the meeting snapshot as the data layer computes it."""
    eng = make_engine(url)
    with session_factory(eng)() as s:
        snap = meetings.meeting_snapshot(s, week)
    eng.dispose()
    return snap


@pytest.fixture
def page(sample_db: str) -> AppTest:
    """Return the app signed in as office on the weekly page."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["week"] = WEEK
    _login(at)
    at.switch_page("pages/weekly.py").run()
    assert not at.exception, at.exception
    return at


def test_page_shows_the_weeks_figures(page: AppTest, sample_db: str) -> None:
    at = page
    snap = _snapshot(sample_db)
    assert at.title[0].value == "周调度会"
    assert any("实时数据" in s.value for s in at.success)
    index = table(at, "名次", "街道")
    expected = reports.section_tables(snap, "zh")["index"]
    assert list(index["街道"]) == list(expected["name"])
    assert list(index["综合指数"]) == pytest.approx(list(expected["index"]))
    chart = pio.from_json(at.get("plotly_chart")[0].proto.spec)
    assert list(chart.data[0].y) == pytest.approx(list(expected["index"]))
    assert list(chart.data[1].y) == pytest.approx(list(expected["index_before"]))
    metrics = {m.label: m.value for m in at.metric}
    head = {h["key"]: h for h in snap["headline"]}
    assert metrics["新发现问题"] == f"{head['new']['now']:,.0f}"
    markdown = " ".join(m.value for m in at.markdown)
    for entry in snap["red_list"] + snap["black_list"]:
        assert entry["name_zh"] in markdown


def test_follow_ups_and_close_keeps_a_record(page: AppTest, sample_db: str) -> None:
    at = page
    at.button(key="weekly_open").click().run()
    assert not at.exception, at.exception
    at.text_input(key="weekly_item_what").input("整治马路湾超期问题")
    at.text_input(key="weekly_item_owner").input("马路湾街道")
    next(b for b in at.button if b.label == "新增跟进事项").click().run()
    assert not at.exception, at.exception
    items = table(at, "会议周次", "事项")
    assert list(items["事项"]) == ["整治马路湾超期问题"]
    at.button(key="weekly_close").click().run()
    assert not at.exception, at.exception
    assert any("会议记录" in i.value for i in at.info)
    assert "weekly_close" not in [b.key for b in at.button]
    eng = make_engine(sample_db)
    with session_factory(eng)() as s:
        record = meetings.meeting_record(s, WEEK)
    eng.dispose()
    assert record["action_items"][0]["what"] == "整治马路湾超期问题"


def test_presentation_mode_one_section_per_screen(sample_db: str) -> None:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["week"] = WEEK
    at.query_params["present"] = "1"
    _login(at)
    at.switch_page("pages/weekly.py").run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == "本周要情"
    assert len(at.subheader) == 1
    at.button(key="weekly_next").click().run()
    assert at.subheader[0].value == "街道综合指数"
    assert len(at.get("plotly_chart")) == 1
    at.button(key="weekly_prev").click().run()
    at.button(key="weekly_prev").click().run()
    assert at.subheader[0].value == "跟进事项"
    seen = []
    for _ in range(9):
        at.button(key="weekly_next").click().run()
        assert not at.exception, at.exception
        seen.append(at.subheader[0].value)
    assert seen == ["本周要情", "街道综合指数", "红黑榜", "问题闭环", "改造工程进度",
                    "市场与志愿服务", "超期问题与问责名单", "测评失分风险", "跟进事项"]


@pytest.mark.parametrize("present", [False, True])
def test_a_link_to_a_week_not_begun_shows_this_week(sample_db: str, present: bool) -> None:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["week"] = "2027-W10"  # after the district's today
    if present:
        at.query_params["present"] = "1"
    _login(at)
    at.switch_page("pages/weekly.py").run()
    assert not at.exception, at.exception
    this_week = weekly_ui.current_week()
    assert this_week < "2027-W10"
    if present:
        assert at.title[0].value.endswith(this_week) and at.subheader[0].value == "本周要情"
    else:
        assert at.query_params["week"] == this_week
        assert at.get("plotly_chart")


def test_leader_sees_no_target_form(sample_db: str) -> None:
    at = AppTest.from_file(APP, default_timeout=90)
    _login(at, "leader")
    at.switch_page("pages/weekly.py").run()
    assert not at.exception, at.exception
    assert "weekly_target_metric" not in [s.key for s in at.selectbox]
    assert "weekly_open" in [b.key for b in at.button]


def test_excel_export_equals_the_page(page: AppTest, sample_db: str) -> None:
    import io

    from openpyxl import load_workbook

    at = page
    shown = table(at, "名次", "街道")
    wb = load_workbook(io.BytesIO(reports.weekly_xlsx(_snapshot(sample_db), "zh")))
    rows = list(wb["街道综合指数"].iter_rows(min_row=3, values_only=True))
    header = [c.value for c in wb["街道综合指数"][2]]
    assert header == list(shown.columns)
    for col in ("名次", "综合指数", "上周指数", "按期销号率", "市场均分", "超期"):
        j = header.index(col)
        cells = [float("nan") if r[j] is None else r[j] for r in rows]  # empty cell = missing
        # the page shows one decimal, and "—" where a value is missing
        on_page = [float("nan") if v in ("—", None) else float(v) for v in shown[col]]
        assert cells == pytest.approx(on_page, abs=0.05, nan_ok=True)
    assert [r[1] for r in rows] == list(shown["街道"])
    overdue = table(at, "编号", "街道")
    sheet = list(wb["超期问题（前10）"].iter_rows(min_row=3, values_only=True))
    assert [r[0] for r in sheet] == list(overdue["编号"])
    assert [r[6] for r in sheet] == list(overdue["超期天数"])


def test_closed_meeting_renders_from_its_record(sample_db: str) -> None:
    eng = make_engine(sample_db)
    office = Actor("office", "office")
    with session_factory(eng)() as s:
        meetings.open_meeting(s, office, "2026-W47")
        record = meetings.close_meeting(s, office, "2026-W47")
        # tamper with the live data afterwards: the page must still show the record
        s.execute(m.MetricTarget.__table__.update().values(weight=0.0))
        live.mark_changed(s, "settings")
        s.commit()
    eng.dispose()
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["week"] = "2026-W47"
    _login(at)
    at.switch_page("pages/weekly.py").run()
    assert not at.exception, at.exception
    assert any("会议记录" in i.value for i in at.info)
    assert not any("实时数据" in s.value for s in at.success)
    shown = table(at, "名次", "街道")
    assert list(shown["综合指数"]) == pytest.approx([r["index"] for r in record["index"]])
    assert "weekly_open" not in [b.key for b in at.button]


def test_office_edits_a_target_and_the_index_follows(page: AppTest, sample_db: str) -> None:
    at = page
    at.selectbox(key="weekly_target_metric").set_value("market_score").run()
    assert at.number_input(key="weekly_target_value_market_score").value == 90.0
    at.number_input(key="weekly_target_value_market_score").set_value(80.0)
    next(b for b in at.button if b.label == "保存").click().run()
    assert not at.exception, at.exception
    eng = make_engine(sample_db)
    with session_factory(eng)() as s:
        targets = metric_targets(s)
    eng.dispose()
    assert float(targets.loc[targets["metric"] == "market_score", "target"].iloc[0]) == 80.0
    snap = _snapshot(sample_db)
    shown = table(at, "名次", "街道")
    assert list(shown["综合指数"]) == pytest.approx([r["index"] for r in snap["index"]])


def test_page_in_english(page: AppTest) -> None:
    at = page
    at.session_state["lang"] = "en"  # the language switch's source of truth
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Weekly meeting"
    assert [h.value for h in at.subheader][:2] == ["The week at a glance", "Subdistrict index"]
    assert table(at, "Rank", "Subdistrict")["Subdistrict"].iloc[0].isascii()


def test_subdistrict_staff_see_their_rank_and_no_controls(sample_db: str) -> None:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["week"] = WEEK
    at.query_params["subdistrict"] = "nanhu"
    _login(at, "nanhu")
    at.switch_page("pages/weekly.py").run()
    assert not at.exception, at.exception
    row = next(r for r in _snapshot(sample_db)["index"] if r["code"] == "nanhu")
    assert any(i.value.startswith(f"南湖：本周第 {row['rank']} 名") for i in at.info)
    keys = [b.key for b in at.button]
    assert "weekly_open" not in keys and "weekly_close" not in keys
    assert "weekly_target_metric" not in [s.key for s in at.selectbox]


def test_points_at_risk_section_equals_the_snapshot(page: AppTest, sample_db: str) -> None:
    snap = _snapshot(sample_db)
    rows = snap["points_at_risk"]
    assert rows
    shown = table(page, "内容编号", "测评内容")
    assert list(shown["内容编号"]) == [r["content_code"] for r in rows]
    assert list(shown["预计失分"]) == pytest.approx([r["points_lost"] for r in rows])
    assert list(shown["牵头单位"]) == [r["lead_unit"] for r in rows]
    assert "测评失分风险" in [h.value for h in page.subheader]


def test_section_tables_are_built_once_per_run_and_per_language(page: AppTest,
                                                                 monkeypatch) -> None:
    calls: list[str] = []
    build = reports.section_tables

    def counted(snap: dict, lang: str):
        calls.append(lang)
        return build(snap, lang)

    monkeypatch.setattr(reports, "section_tables", counted)
    page.run()
    assert not page.exception
    assert calls == ["zh"]  # six sections read the tables: built once
    assert list(table(page, "名次", "街道")["街道"])[:1] != []
    page.session_state["lang"] = "en"
    page.run()
    assert not page.exception
    assert calls == ["zh", "en"]  # a new language builds them again, in that language
    index = table(page, "Rank", "Subdistrict")
    snap = page.session_state["_weekly_section_tables"][0]
    assert list(index["Subdistrict"]) == [r["name_en"] for r in snap["index"]]
