"""Issue 16, items 10 and 12: no grey "None" (a "—" whose header says why), one-decimal
percents, the report form's sites of the subdistrict in view, the English week picker and
presentation mode's exports and link."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from civdata.core import models as m
from tests.pages.apptest import column_help, open_page, shown, signed_in

PCT = re.compile(r"^-?\d+\.\d%$|^—$")


def _cells(frame) -> list[str]:
    return [str(v) for v in frame.to_numpy().ravel()]


def _table(at, column: str):
    return next(df for df in at.dataframe if column in df.value.columns)


def test_overview_ranking_shows_dashes_with_reasons_and_one_decimal(sample_db) -> None:
    at = signed_in("leader")
    el = _table(at, "综合指数")
    table = shown(el)
    assert not el.value.isna().any().any()  # the browser draws a missing cell as a grey "None"
    assert "—" in set(_cells(table))
    assert not {"None", "nan", "NaN", "<NA>"} & set(_cells(table))
    for col in ("按期销号率", "无问题点位占比", "志愿覆盖率", "工程进度/计划"):
        assert all(PCT.match(v) for v in table[col]), (col, list(table[col]))
    assert "本周没有市场检查" in column_help(el)["市场均分"]
    assert "尚无改造计划" in column_help(el)["工程进度/计划"]


def test_work_queue_deadline_of_unassigned_problems_is_a_dash(sample_db) -> None:
    at = open_page(signed_in("office", {"subdistrict": "nanhu"}), "problems")
    el = _table(at, "剩余小时")
    raw, table = el.value, shown(el)
    assert not raw.isna().any().any()  # the browser draws a missing cell as a grey "None"
    assert "—" in set(table["整改时限"])  # the sample has problems not assigned yet
    assert set(table.loc[table["整改时限"] == "—", "剩余小时"]) == {"—"}
    assert not {"None", "nan", "NaT"} & set(_cells(table))
    assert "尚未交办" in column_help(el)["整改时限"]
    ranking = shown(_table(at, "较上周"))
    assert all(PCT.match(v) for v in ranking["按期销号率"])
    assert all(re.match(r"^[+-]\d+\.\d%$|^—$", v) for v in ranking["较上周"])


def test_volunteer_gap_table_says_why_a_day_count_is_missing(sample_db) -> None:
    at = open_page(signed_in("office"), "volunteers")
    el = _table(at, "距上次活动（天）")
    table = shown(el)
    assert not el.value.isna().any().any()
    assert not {"None", "nan", "<NA>"} & set(_cells(table))
    assert "还没有记录过志愿活动" in column_help(el)["距上次活动（天）"]
    coverage = shown(_table(at, "社区覆盖率"))
    assert all(PCT.match(v) for v in coverage["社区覆盖率"])


def test_report_form_lists_the_sites_of_the_subdistrict_in_view(sample_db, sample_session) -> None:
    nanhu = sample_session.scalar(select(m.Subdistrict.id).where(m.Subdistrict.code == "nanhu"))
    count = sample_session.scalar(select(func.count()).select_from(m.Site)
                                  .where(m.Site.subdistrict_id == nanhu))
    at = open_page(signed_in("office", {"subdistrict": "nanhu"}), "problems")
    picker = at.selectbox(key="report_site")
    assert len(picker.options) == count < 381
    assert not picker.options[0].startswith("S")  # the name first: typing a name finds it


def test_week_picker_in_english(sample_db) -> None:
    at = signed_in("office")
    at.session_state["lang"] = "en"
    open_page(at, "weekly")
    labels = next(s for s in at.selectbox if s.key.startswith("weekly_week")).proto.options
    assert all(" to " in v and "至" not in v for v in labels), labels[:2]


def test_presentation_mode_keeps_the_subdistrict_and_offers_exports(sample_db) -> None:
    at = open_page(signed_in("office", {"subdistrict": "nanhu"}), "weekly")
    link = next(b.proto.url for b in at.get("link_button") if "present=1" in b.proto.url)
    assert "subdistrict=nanhu" in link
    at.query_params["present"] = "1"
    at.run()
    assert not at.exception, at.exception
    keys = {b.proto.id.rsplit("-", 1)[-1] for b in at.get("download_button")}
    assert {"weekly_pptx", "weekly_xlsx"} <= keys, keys
    leave = [b.proto.url for b in at.get("link_button")]
    assert any("subdistrict=nanhu" in u and "present" not in u for u in leave), leave
