"""The monthly assessment page (issue 21) through AppTest on the sample: the ranking equals the
data layer's; the office's settings and the close are written; subdistrict staff see their own."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from civdata.core import models as m
from civdata.core.db import make_engine, session_factory
from civdata.domain import assessment
from tests.conftest import SAMPLE_AS_OF
from tests.pages.apptest import open_page, signed_in

MONTH = assessment.month_of(SAMPLE_AS_OF)


def _snapshot(url: str) -> dict:
    """Return the data layer's assessment of MONTH."""
    eng = make_engine(url)
    with session_factory(eng)() as s:
        snap = assessment.assessment_snapshot(s, MONTH)
    eng.dispose()
    return snap


def _table(at: AppTest, first: str, second: str) -> pd.DataFrame:
    """Return the drawn table whose first two headers are these."""
    for frame in at.dataframe:
        if list(frame.value.columns)[:2] == [first, second]:
            return frame.value
    raise AssertionError(f"no table starting {first}, {second}")


@pytest.fixture
def office(sample_db: str) -> AppTest:
    """Return the monthly page as the office."""
    return open_page(signed_in("office", query={"month": MONTH}), "monthly")


def test_office_sees_the_ranking(office: AppTest, sample_db: str) -> None:
    at = office
    snap = _snapshot(sample_db)
    assert at.title[0].value == "月调度与考核 · 全区"
    ranking = _table(at, "名次", "街道")
    assert list(ranking["街道"]) == [r["name_zh"] for r in snap["subdistricts"]]
    assert list(ranking["得分"]) == pytest.approx([round(r["score"], 1)
                                                   for r in snap["subdistricts"]])
    assert list(ranking["名次"]) == [r["rank"] for r in snap["subdistricts"]]
    metrics = {x.label: x.value for x in at.metric}
    assert metrics["第一名"] == snap["subdistricts"][0]["name_zh"]
    units = _table(at, "名次", "责任单位")
    assert len(units) == len(snap["units"])


def test_office_changes_an_indicator(office: AppTest, sample_db: str) -> None:
    at = office
    at.selectbox(key="monthly_ind").set_value("market_score").run()
    at.number_input(key="monthly_weight_market_score").set_value(40.0)
    next(b for b in at.button if b.label == "保存指标").click().run()
    assert not at.exception, at.exception
    assert any("已保存" in s.value for s in at.success)
    indicators = _table(at, "指标", "目标值")
    assert indicators.set_index("指标").loc["市场巡查均分", "权重"] == 40.0
    assert _snapshot(sample_db)["indicators"][4]["weight"] == 40.0


def test_closing_the_month_freezes_it(office: AppTest, sample_db: str) -> None:
    at = office
    at.checkbox(key="monthly_close_sure").check()
    next(b for b in at.button if b.label == "月度定稿（冻结本月考核）").click().run()
    assert not at.exception, at.exception
    assert any("已定稿" in i.value for i in at.info)
    assert "月度定稿（冻结本月考核）" not in [b.label for b in at.button]
    eng = make_engine(sample_db)
    with session_factory(eng)() as s:
        assert s.scalar(select(func.count(m.AssessmentMonth.id)).where(
            m.AssessmentMonth.status == "closed")) == 1
    eng.dispose()


def test_subdistrict_staff_see_their_own_row(sample_db: str) -> None:
    at = open_page(signed_in("nanhu", query={"month": MONTH}), "monthly")
    snap = _snapshot(sample_db)
    mine = next(r for r in snap["subdistricts"] if r["code"] == "nanhu")
    assert at.title[0].value == "月调度与考核 · 南湖"
    ranking = _table(at, "名次", "街道")
    assert list(ranking["街道"]) == ["南湖"]
    metrics = {x.label: x.value for x in at.metric}
    assert metrics["本街道名次"] == str(mine["rank"])
    assert not any(list(d.value.columns)[:2] == ["名次", "责任单位"] for d in at.dataframe)
    assert "monthly_ind" not in [s.key for s in at.selectbox]
    assert "保存指标" not in [b.label for b in at.button]
    assert "月度定稿（冻结本月考核）" not in [b.label for b in at.button]


def test_one_subdistrict_equals_hand_counts(sample_db: str) -> None:
    snap = _snapshot(sample_db)
    eng = make_engine(sample_db)
    with session_factory(eng)() as s:
        nanhu = s.scalar(select(m.Subdistrict.id).where(m.Subdistrict.code == "nanhu"))
        raw = pd.read_sql(select(m.Problem.closed_at, m.Problem.closed_on_time)
                          .where(m.Problem.subdistrict_id == nanhu), s.connection())
    eng.dispose()
    closed_at = pd.to_datetime(raw["closed_at"])
    start, end = pd.Timestamp(snap["first"]), pd.Timestamp(snap["as_of"])
    in_month = raw[(closed_at >= start) & (closed_at < end)]
    row = next(r for r in snap["subdistricts"] if r["code"] == "nanhu")
    assert row["closed"] == len(in_month) > 0
    assert row["closed_on_time"] == int(in_month["closed_on_time"].astype(bool).sum())
    assert row["on_time_closure"] == pytest.approx(row["closed_on_time"] / row["closed"])


def test_missing_values_show_as_a_dash(office: AppTest) -> None:
    from tests.pages.apptest import shown

    for el in office.dataframe:
        cells = {str(v) for v in shown(el).to_numpy().ravel()}
        assert not {"None", "nan", "NaN", "<NA>"} & cells, cells
        assert not el.value.isna().any().any()  # the browser draws a missing cell as "None"
    ranking = next(shown(el) for el in office.dataframe
                   if list(el.value.columns)[:2] == ["名次", "街道"])
    # the sample's Shenshuiwan has no renovation plan: its progress against plan is missing
    assert ranking.loc[ranking["街道"] == "沈水湾", "工程进度/计划"].tolist() == ["—"]
    units = next(shown(el) for el in office.dataframe
                 if list(el.value.columns)[:2] == ["名次", "责任单位"])
    ranks = [str(v) for v in units["上月名次"]]  # whole numbers beside the gaps, never "3.0"
    assert "—" in ranks and all(v == "—" or v.isdigit() for v in ranks), ranks
