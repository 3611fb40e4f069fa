"""The markets page through AppTest: map, ranking, trend, five-grasp figures, drill-down, card
and the inspection form writing into the closed loop."""

from __future__ import annotations

import base64
from datetime import timedelta

import numpy as np
import plotly.io as pio
import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from civdata.core import models as m
from civdata.core.db import make_engine, session_factory
from civdata.domain import markets as mk
from tests.conftest import SAMPLE_AS_OF
from tests.pages import apptest
from tests.pages.apptest import DASHBOARD

APP = DASHBOARD
PAGE = "pages/markets.py"


def _open(user: str = "office", params: dict[str, str] | None = None) -> AppTest:
    """Return an AppTest logged in as user on the markets page."""
    return apptest.open_page(apptest.signed_in(user, params), "markets")


def _read(url: str, fn, *args):
    """Return fn(session, *args) on the test database."""
    eng = make_engine(url)
    try:
        with session_factory(eng)() as s:
            return fn(s, *args)
    finally:
        eng.dispose()


def _figure(at: AppTest, key: str):
    """Return the plotly figure drawn under key."""
    for chart in at.get("plotly_chart"):
        if chart.proto.id and key in chart.proto.id or key in (chart.key or ""):
            return pio.from_json(chart.proto.spec)
    raise AssertionError(f"no chart {key}")


def _values(array) -> list:
    """Return a plotly array as a list, decoding plotly's base64 typed arrays ("bdata")."""
    if isinstance(array, dict) and "bdata" in array:
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def _deck(at: AppTest) -> dict:
    """Return the first pydeck chart's JSON."""
    return apptest.deck_specs(at)[0]


def test_page_shows_map_ranking_trend_and_five_grasp(sample_db: str) -> None:
    at = _open("office")
    assert "农贸市场治理" in at.title[0].value
    deck = _deck(at)
    layers = {layer["id"]: layer for layer in deck["layers"]}
    assert set(layers) == {"subdistrict-outlines", "market-surroundings", "market-points"}
    assert {row["part"] for row in layers["subdistrict-outlines"]["data"]} == set(range(12))
    assert layers["market-surroundings"]["getRadius"] == "@@=radius_m"
    assert {row["radius_m"] for row in layers["market-surroundings"]["data"]} == {300}
    assert len(layers["market-surroundings"]["data"]) == 20
    # map_provider=None and no map_style: no basemap provider, pydeck's unset-style sentinel
    assert "mapProvider" not in deck and deck.get("mapStyle") in (None, "__MAP_STYLE__")

    ranked = _read(sample_db, lambda s: mk.rank_markets(mk.weekly_market_scores(s, SAMPLE_AS_OF,
                                                                                None)))
    table = at.dataframe[0].value
    assert len(table) == 20
    assert list(table["名次"]) == [int(r) for r in ranked["rank"]]
    assert list(table["市场"]) == list(ranked["name_zh"])

    first = SAMPLE_AS_OF - timedelta(days=89)
    daily = _read(sample_db, mk.district_daily_scores, first, SAMPLE_AS_OF, None)
    trend = _figure(at, "markets_trend")
    mean = trend.data[-1]
    assert len(trend.data) == 21  # 20 markets and the district mean
    assert _values(mean.y) == pytest.approx(list(daily["score"]))

    hw = _figure(at, "markets_hardware")
    assert _values(hw.data[1].y) == [266, 46, 28]
    metrics = {mt.label: mt.value for mt in at.metric}
    assert metrics["日均出动检查员（共43人）"]
    assert metrics["日均出动车辆（共12辆）"]
    assert metrics["市场数"] == "20"
    rates = _read(sample_db, mk.feedback_and_reinspection, SAMPLE_AS_OF - timedelta(days=29),
                  SAMPLE_AS_OF, None)
    assert metrics["复检通过率"] == f"{100 * rates['pass_rate']:.1f}%"
    assert metrics["问题当日反馈率"] == f"{100 * rates['same_day_share']:.1f}%"
    losses = _figure(at, "markets_losses")
    expected = _read(sample_db, mk.item_point_losses, SAMPLE_AS_OF - timedelta(days=29),
                     SAMPLE_AS_OF, None)
    assert _values(losses.data[0].y)[::-1] == list(expected["name_zh"])
    assert len(at.tabs) == 3  # the office may record inspections


def test_drill_down_by_subdistrict_and_market(sample_db: str) -> None:
    at = _open("office", {"subdistrict": "jixian"})
    sub_id = _read(sample_db, lambda s: s.scalar(select(m.Subdistrict.id)
                                                 .where(m.Subdistrict.code == "jixian")))
    latest = _read(sample_db, mk.latest_market_scores, SAMPLE_AS_OF, sub_id)
    assert 0 < len(latest) < 20
    layers = {layer["id"]: layer for layer in _deck(at)["layers"]}
    assert len(layers["market-points"]["data"]) == len(latest)
    assert len(at.dataframe[0].value) == len(latest)

    market = latest.iloc[0]
    at.selectbox(key="market_select").set_value(int(market["id"])).run()
    assert not at.exception
    trend = _figure(at, "markets_trend")
    assert len(trend.data) == 2 and trend.data[0].name == market["name_zh"]
    history = _read(sample_db, mk.inspection_history, int(market["id"]))
    assert any(str(market["name_zh"]) == h.value for h in at.subheader)
    tables = [d.value for d in at.dataframe]
    hist_table = next(tb for tb in tables if "检查人" in tb.columns)
    assert len(hist_table) == len(history)
    assert list(hist_table["总分"]) == list(history["total_score"])
    assert at.query_params["market"] == [market["code"]] or \
        at.query_params["market"] == market["code"]


def test_market_link_opens_its_card(sample_db: str) -> None:
    at = _open("leader", {"market": "M05"})
    latest = _read(sample_db, mk.latest_market_scores, SAMPLE_AS_OF, None)
    row = latest[latest["code"] == "M05"].iloc[0]
    assert at.selectbox(key="market_select").value == int(row["id"])
    assert any(h.value == row["name_zh"] for h in at.subheader)
    metrics = {mt.label: mt.value for mt in at.metric}
    assert metrics["最新得分"] == f"{row['score']:,.1f}"
    downloads = {b.key for b in at.get("download_button")}
    assert {"dl_csv_market_items", "dl_xlsx_market_items", "dl_xlsx_market_history"} <= downloads


def test_leader_sees_no_form_and_english_works(sample_db: str) -> None:
    at = _open("leader")
    at.session_state["lang"] = "en"  # the language switch's source of truth
    at.run()
    assert "Farmers'-market governance" in at.title[0].value
    assert [tab.label for tab in at.tabs] == ["Dashboard", "Market card"]
    assert not any(b.key == "mi_submit" for b in at.get("button"))


def test_market_role_records_an_inspection_with_a_finding(sample_db: str) -> None:
    at = _open("market")
    count = _read(sample_db, lambda s: s.scalar(select(func.count(m.MarketInspection.id))))
    at.selectbox(key="mi_market").set_value(3)
    at.selectbox(key="mi_inspector").set_value("曾文杰")
    at.number_input(key="mi_score_environment_hygiene").set_value(10.0)
    at.text_area(key="mi_notes").input("地面有积水")
    assert at.checkbox(key="mi_fed_back").value is False
    at.button(key="mi_submit").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("总分 90" in s.value for s in at.success)
    assert any("环境卫生" in w.value for w in at.warning)
    after = _read(sample_db, lambda s: s.scalar(select(func.count(m.MarketInspection.id))))
    assert after == count + 1
    problem = _read(sample_db, lambda s: s.execute(
        select(m.Problem.source, m.Problem.market_id, m.Problem.status, m.ProblemClass.code)
        .join(m.ProblemClass, m.ProblemClass.id == m.Problem.class_id)
        .order_by(m.Problem.id.desc()).limit(1)).one())
    assert tuple(problem) == ("market_inspection", 3, "discovered", "sanitation")
    fed = _read(sample_db, lambda s: s.scalar(select(m.MarketInspection.fed_back_same_day)
                                             .order_by(m.MarketInspection.id.desc()).limit(1)))
    assert fed is False  # not claimed unless the inspector ticks it



def test_passing_reinspection_from_the_form_closes_the_markets_problems(sample_db: str) -> None:
    open_before = _read(sample_db, mk.market_problems, 2)
    assert len(open_before) >= 2  # the sample leaves market 2 with open inspection problems
    at = _open("market", {"market": "M02"})
    assert at.selectbox(key="mi_market").value == 2
    at.checkbox(key="mi_reinspection").check()
    at.button(key="mi_submit").click().run()
    assert not at.exception and not at.error
    closed_msg = next(s.value for s in at.success if "已销号" in s.value)
    for code in open_before["code"]:
        assert code in closed_msg
    assert _read(sample_db, mk.market_problems, 2).empty
    card = _read(sample_db, mk.inspection_history, 2)
    assert card["total_score"].iloc[0] == 100.0 and bool(card["is_reinspection"].iloc[0])


def test_subdistrict_without_markets_shows_the_empty_state(sample_db: str) -> None:
    at = _open("office", {"subdistrict": "changbai"})
    assert "长白" in at.title[0].value
    assert any(i.value == "暂无数据。" for i in at.info)
    assert not apptest.maps_drawn(at) and not at.get("plotly_chart")


def test_single_market_subdistrict(sample_db: str) -> None:
    at = _open("office", {"subdistrict": "nanhu"})
    layers = {layer["id"]: layer for layer in _deck(at)["layers"]}
    assert len(layers["market-points"]["data"]) == 1
    assert len(at.dataframe[0].value) == 1 and list(at.dataframe[0].value["名次"]) == [1]
