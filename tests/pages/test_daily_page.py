"""The daily report page (issue 21) through AppTest on the sample: the figures equal the data
layer's and hand counts from the raw rows; a subdistrict account sees only its own."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from civdata.core import models as m
from civdata.core.db import make_engine, session_factory
from civdata.domain import daily
from tests.conftest import SAMPLE_AS_OF
from tests.pages.apptest import open_page, signed_in

DAY = SAMPLE_AS_OF - timedelta(days=1)


def _report(url: str, subdistrict: str | None) -> tuple[dict, pd.DataFrame]:
    """Return the data layer's report of DAY and the raw problem rows (one subdistrict or all)."""
    eng = make_engine(url)
    with session_factory(eng)() as s:
        sub_id = None if subdistrict is None else s.scalar(
            select(m.Subdistrict.id).where(m.Subdistrict.code == subdistrict))
        report = daily.daily_report(s, DAY, sub_id)
        raw = pd.read_sql(select(m.Problem.discovered_at, m.Problem.closed_at,
                                 m.Problem.deadline, m.Problem.subdistrict_id), s.connection())
    eng.dispose()
    return report, raw if sub_id is None else raw[raw["subdistrict_id"] == sub_id]


def _hand_counts(raw: pd.DataFrame, day: date) -> dict[str, int]:
    """Return new, closed and overdue (open past deadline at midnight) counted by hand."""
    start = datetime.combine(day, datetime.min.time())
    end = start + timedelta(days=1)
    found = pd.to_datetime(raw["discovered_at"])
    closed = pd.to_datetime(raw["closed_at"])
    deadline = pd.to_datetime(raw["deadline"])
    open_at_end = (found < end) & (closed.isna() | (closed >= end))
    return {"new": int(((found >= start) & (found < end)).sum()),
            "closed": int(((closed >= start) & (closed < end)).sum()),
            "overdue": int((open_at_end & (deadline < end)).sum())}


def _metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    """Return {label: (value, delta)} of the KPI cards."""
    return {x.label: (x.value, x.delta) for x in at.metric}


@pytest.fixture
def office(sample_db: str) -> AppTest:
    """Return the daily page as the office, the day before the sample's today."""
    return open_page(signed_in("office", query={"day": DAY.isoformat()}), "daily")


def test_office_sees_the_district_figures(office: AppTest, sample_db: str) -> None:
    at = office
    report, raw = _report(sample_db, None)
    assert at.title[0].value == "每日工作日报 · 全区"
    shown = _metrics(at)
    head = {r["key"]: r for r in report["headline"]}
    hand = _hand_counts(raw, DAY)
    for key, label in (("new", "新增问题"), ("closed", "办结问题"), ("overdue", "超期问题")):
        assert shown[label][0] == f"{hand[key]:,}"
        assert head[key]["now"] == hand[key]
    assert shown["市场巡查次数"][0] == f"{head['inspections']['now']:,.0f}"
    assert shown["市场巡查均分"][0] == f"{head['market_score']['now']:,.1f}"
    subs = next(d.value for d in at.dataframe if "街道" in d.value.columns)
    assert len(subs) == 12
    assert subs["新增问题"].sum() == hand["new"]
    serious = [x for x in at.metric if x.label == "超期小时"]
    assert [x.value for x in serious] == [str(r["hours_overdue"]) for r in report["serious"]]
    assert len(serious) == 3


def test_subdistrict_staff_see_their_own(sample_db: str) -> None:
    at = open_page(signed_in("nanhu", query={"day": DAY.isoformat(), "subdistrict": "xita"}),
                   "daily")
    report, raw = _report(sample_db, "nanhu")
    assert at.title[0].value == "每日工作日报 · 南湖"
    hand = _hand_counts(raw, DAY)
    shown = _metrics(at)
    assert (shown["新增问题"][0], shown["办结问题"][0], shown["超期问题"][0]) == (
        f"{hand['new']:,}", f"{hand['closed']:,}", f"{hand['overdue']:,}")
    assert not any("街道" in d.value.columns for d in at.dataframe)  # no per-subdistrict table
    assert all(r["subdistrict"] == "nanhu" for r in report["serious"])
    codes = " ".join(x.value for x in at.markdown)
    for row in report["serious"]:
        assert row["code"] in codes


def test_markdown_preview_and_downloads(office: AppTest, sample_db: str) -> None:
    at = office
    report, _ = _report(sample_db, None)
    assert at.code[0].value.strip() == daily.report_markdown(report, "zh").strip()
    labels = [b.label for b in at.get("download_button")]
    assert labels[:2] == ["下载 Word 日报", "下载群消息文本（Markdown）"]


def test_market_staff_are_not_offered_the_page(sample_db: str) -> None:
    at = signed_in("market")
    from tests.pages.apptest import offered_pages

    assert "daily.py" not in offered_pages(at) and "monthly.py" not in offered_pages(at)


def test_missing_values_show_as_a_dash(office: AppTest) -> None:
    from tests.pages.apptest import shown

    # the sample's Changbai has no market inspection that day: its mean score is missing
    subs = next(d for d in office.dataframe if "街道" in d.value.columns)
    table = shown(subs)
    assert table.loc[table["街道"] == "长白", "市场巡查均分"].tolist() == ["—"]
    assert all(str(v).isdigit() for v in table["新增问题"])  # counts stay whole numbers
    for el in office.dataframe:
        cells = {str(v) for v in shown(el).to_numpy().ravel()}
        assert not {"None", "nan", "NaN", "<NA>"} & cells, cells
        assert not el.value.isna().any().any()  # the browser draws a missing cell as "None"
