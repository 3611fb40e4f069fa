"""The overview through AppTest: figures equal the data layer, chart data, drill-down, language."""

from __future__ import annotations

from datetime import timedelta

from civdata.core.clock import this_minute
from civdata.domain import district
from civdata.domain.metrics import weighted_progress
from tests.pages.apptest import open_page, plotly_figures, signed_in, values
from ui import nav


def _metric_values(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_headline_figures_equal_the_queries(sample_db, sample_session) -> None:
    at = signed_in("leader")
    now = this_minute()
    expected = district.figures_at(sample_session, now, None)
    before = district.figures_at(sample_session, now - timedelta(days=7), None)
    shown = _metric_values(at)
    assert shown["周边有未结问题的点位"] == f"{expected['sites_with_open']:,.0f}"
    assert shown["未结问题"] == f"{expected['open']:,.0f}"
    assert shown["超期问题"] == f"{expected['overdue']:,.0f}"
    assert shown["近7天按期销号"] == f"{expected['closed_on_time_week']:,.0f}"
    assert shown["农贸市场近7天均分"] == f"{expected['market_score_week']:,.1f}"
    assert shown["社区志愿服务覆盖率（30天）"] == f"{100 * expected['volunteer_coverage']:.1f}%"
    deltas = {m.label: m.delta for m in at.metric}
    assert deltas["未结问题"] == f"{expected['open'] - before['open']:+,.0f}"
    assert expected["open"] > 0 and expected["sites_with_open"] > 0
    assert at.caption[0].value.startswith("数据截至 2026-11-25")


def test_progress_bars_come_from_the_reports(sample_db, sample_session) -> None:
    at = signed_in("office")
    progress = weighted_progress(district.renovation_progress_at(
        sample_session, this_minute().date(), None))
    bars = at.get("progress")
    assert len(bars) == len(progress) == 6
    for bar, row in zip(bars, progress.itertuples(), strict=True):
        assert bar.proto.value == min(int(row.percent), 100) or abs(
            bar.proto.value - row.percent) <= 1
        assert f"{row.percent:.1f}%" in bar.proto.text
        assert f"({row.completed}/{row.projects})" in bar.proto.text
    assert "老旧小区改造 第1批" in bars[0].proto.text and "(35/50)" in bars[0].proto.text


def test_ranking_and_trend_chart(sample_db, sample_session) -> None:
    at = signed_in("office")
    ranking = district.subdistrict_ranking(sample_session, this_minute().date())
    table = at.dataframe[0].value
    assert list(table["街道"]) == list(ranking["name_zh"])
    assert len(table) == 12
    assert list(table["名次"])[0] == 1
    flow = district.weekly_problem_flow(sample_session, this_minute(), 12, None)
    (fig,) = plotly_figures(at)
    assert values(fig.data[0].y) == list(flow["new"])
    assert values(fig.data[1].y) == list(flow["closed"])
    assert sum(flow["new"]) > 0


def test_subdistrict_link_drills_down(sample_db, sample_session) -> None:
    at = signed_in("leader", query={"subdistrict": "nanhu"})
    assert at.title[0].value == "创城总览 · 南湖"
    nanhu = int(district.subdistricts(sample_session).query("code == 'nanhu'")["id"].iloc[0])
    expected = district.figures_at(sample_session, this_minute(), nanhu)
    assert {m.label: m.value for m in at.metric}["未结问题"] == f"{expected['open']:,.0f}"
    assert at.query_params.get("subdistrict") == "nanhu"
    at.selectbox(key="subdistrict_select").select("all").run()
    assert at.title[0].value == "创城总览 · 全区"


def test_language_switch_is_bound_to_the_url(sample_db) -> None:
    at = signed_in("leader", query={"lang": "en"})
    assert at.title[0].value == "Campaign overview · Whole district"
    assert "Open problems" in {m.label for m in at.metric}
    zh = signed_in("leader")
    assert zh.title[0].value == "创城总览 · 全区"
    zh.selectbox(key="lang_select").select("en").run()
    assert zh.title[0].value == "Campaign overview · Whole district"


def test_every_page_opens_with_its_title(sample_db) -> None:
    at = signed_in("office")
    for page in [spec.url_path for spec in nav.PAGES if "office" in spec.roles]:
        open_page(at, page)
        assert at.title, page
        assert at.title[0].value.strip(), page
