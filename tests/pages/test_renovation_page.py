"""The renovation page through AppTest: bars and charts equal the data layer, drill-down by
subdistrict and project, and the progress form (permissions, refusals, bars that move)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civdata.core import models as m
from civdata.core.clock import today_local
from civdata.domain import metrics
from civdata.domain import renovation as ren
from tests.pages.apptest import open_page, plotly_figures, signed_in, values


def _bars(at) -> list[tuple[int, str]]:
    return [(b.proto.value, b.proto.text) for b in at.get("progress")]


def _summary(session, subdistrict_id=None):
    return metrics.programme_summary(
        ren.projects_with_progress(session, today_local(), subdistrict_id))


def _texts(at) -> str:
    return "\n".join([c.value for c in at.caption] + [e.value for e in at.markdown])


def test_bars_equal_the_data_layer(sample_db, sample_session) -> None:
    at = open_page(signed_in("leader"), "renovation")
    summary = _summary(sample_session)
    bars = _bars(at)
    assert len(bars) == len(summary) == 6
    for (value, text), row in zip(bars, summary.itertuples(index=False), strict=True):
        assert value == int(min(row.percent, 100.0))
        assert f"{row.percent:.1f}%" in text
        assert f"{row.completed}/{row.projects}" in text
    assert bars[0][1].startswith("老旧小区改造 第1批") and "35/50" in bars[0][1]
    assert "0/55" in bars[1][1] and bars[2][0] == 100 and bars[5][0] == 100
    captions = _texts(at)
    assert "老旧小区按建筑面积加权" in captions and "超过 10 个百分点" in captions
    assert "在建 15 · 完工 35" in captions and "招标 36 · 在建 19" in captions
    assert "惠及居民 15,666 户" in captions and "惠及居民 13,235 户" in captions
    assert "施工图完成 50/50" in captions and "施工图完成 55/55" in captions  # batch 2: drawings done
    b1 = summary.iloc[0]
    assert f"{b1.investment_spent / 10_000:,.0f} / 计划 {b1.investment_planned / 10_000:,.0f}" \
        in captions
    # no form for a leader
    assert not [b for b in at.button if b.key == "progress_submit"]


def test_slipping_table_and_charts(sample_db, sample_session) -> None:
    at = open_page(signed_in("office"), "renovation")
    day = today_local()
    projects = metrics.project_slippage(ren.projects_with_progress(sample_session, day), day)
    slipping = at.dataframe[0].value
    assert len(slipping) == int(projects["slipping"].sum()) > 0
    assert set(slipping["编号"]) == set(projects.loc[projects["slipping"], "code"])
    by_sub, report, gantt, qty = plotly_figures(at)
    group = projects[(projects["programme"] == "old_compound") & (projects["batch"] == 1)]
    plan = metrics.progress_against_plan(group, day).sort_values("actual")
    assert values(by_sub.data[0].x) == pytest.approx(list(plan["actual"]))
    assert values(by_sub.data[1].x) == pytest.approx(list(plan["planned"]))
    first = group.iloc[0]
    history = ren.progress_reports(sample_session, int(first["id"]))
    assert values(report.data[1].y) == pytest.approx(list(history["percent"]))
    assert values(report.data[0].y) == [0.0, 100.0]
    sections = sorted(group["bid_section"].unique())
    assert len(gantt.data) == 2 and len(gantt.data[0].y) == len(sections) == 5
    assert all(s in label for s, label in zip(sections, gantt.data[0].y, strict=True))
    assert any(s.type == "line" for s in gantt.layout.shapes)  # today's line
    quantities = ren.programme_quantities(sample_session, "key_road")
    assert values(qty.data[0].x) == pytest.approx(
        list(100 * quantities["done"] / quantities["planned"]))
    assert len(qty.data[0].y) == 8 and "口袋公园（个）" in qty.data[0].y
    table = at.dataframe[1].value
    assert list(table["编号"]) == list(group["code"])
    # per project timeline
    at.radio(key="renovation_timeline_by").set_value("project").run()
    assert len(plotly_figures(at)[2].data[0].y) == 50


def test_drill_down_by_url(sample_db, sample_session) -> None:
    nanhu = sample_session.scalar(select(m.Subdistrict.id).where(m.Subdistrict.code == "nanhu"))
    projects = ren.projects_with_progress(sample_session, today_local(), nanhu)
    target = projects[projects["programme"] == "old_compound"].iloc[-1]
    at = signed_in("office", {"subdistrict": "nanhu", "project": target["code"]})
    open_page(at, "renovation")
    assert "南湖" in at.title[0].value
    summary = _summary(sample_session, nanhu)
    assert len(at.get("progress")) == len(summary)
    assert [b[0] for b in _bars(at)] == [int(min(p, 100)) for p in summary["percent"]]
    group = f"{target['programme']}:{target['batch']}"
    assert at.selectbox(key="renovation_group").value == group  # the project's own group
    assert at.selectbox(key="renovation_project").value == target["code"]
    shown = "\n".join(e.value for e in at.markdown).replace("\\", "")  # card text is escaped
    assert target["code"] in shown
    metrics_shown = {x.label: x.value for x in at.metric}
    assert metrics_shown["实际进度"] == f"{target['percent']:.1f}%"


def _pick(at, group: str, code: str):
    at.selectbox(key="renovation_group").set_value(group).run()
    at.selectbox(key="renovation_project").set_value(code).run()
    return at


def test_a_report_moves_the_bars(sample_db, sample_session) -> None:
    day = today_local()
    projects = ren.projects_with_progress(sample_session, day)
    target = projects[(projects["programme"] == "old_compound") & (projects["batch"] == 2)
                      & (projects["stage"] == "bidding")].iloc[0]
    at = _pick(open_page(signed_in("office"), "renovation"), "old_compound:2", target["code"])
    before = _bars(at)[1]
    assert at.number_input(key="progress_percent").value == 0.0  # defaults follow the project
    assert at.selectbox(key="progress_stage").value == "bidding"
    assert [c for c in at.checkbox if c.key == "progress_correction"]  # the office may correct
    at.number_input(key="progress_percent").set_value(50.0)
    at.selectbox(key="progress_stage").set_value("under_construction")
    at.text_area(key="progress_note").input("scaffolding up")
    at.button(key="progress_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("50" in s.value for s in at.success)
    sample_session.expire_all()
    after_summary = _summary(sample_session)
    b2 = after_summary.iloc[1]
    weight = 850_000
    assert b2.percent == pytest.approx(_bar_percent(before) + 50 * target["floor_area_m2"]
                                       / weight, abs=0.06)
    after = _bars(at)[1]
    assert f"{b2.percent:.1f}%" in after[1] and after != before
    assert b2.n_under_construction == 20 and b2.n_bidding == 35
    report = sample_session.scalars(select(m.ProjectProgress).where(
        m.ProjectProgress.project_id == int(target["id"]))).one()
    assert (report.percent, report.reported_by, report.note) == (50.0, "office", "scaffolding up")
    other = open_page(signed_in("leader"), "renovation")  # everyone sees the new bars at once
    assert _bars(other)[1] == after


def _bar_percent(bar: tuple[int, str]) -> float:
    """Return the percent written in a bar's text ('...：7.6%（...')."""
    return float(bar[1].split("：")[1].split("%")[0])


def test_subdistrict_staff_form_rules(sample_db, sample_session) -> None:
    day = today_local()
    nanhu = sample_session.scalar(select(m.Subdistrict.id).where(m.Subdistrict.code == "nanhu"))
    projects = ren.projects_with_progress(sample_session, day)
    compounds = projects[(projects["programme"] == "old_compound") & (projects["batch"] == 2)]
    own = compounds[(compounds["subdistrict_id"] == nanhu)
                    & (compounds["stage"] == "under_construction")].iloc[0]
    other = compounds[compounds["subdistrict_id"] != nanhu].iloc[0]
    count = sample_session.scalar(select(func.count(m.ProjectProgress.id)))
    at = _pick(open_page(signed_in("nanhu"), "renovation"), "old_compound:2", other["code"])
    assert "只能填报本街道的工程。" in _texts(at)
    assert not [b for b in at.button if b.key == "progress_submit"]
    _pick(at, "old_compound:2", own["code"])
    assert at.number_input(key="progress_percent").value == pytest.approx(own["percent"])
    assert not [c for c in at.checkbox if c.key == "progress_correction"]  # office only
    at.number_input(key="progress_percent").set_value(max(float(own["percent"]) - 5, 0.0))
    at.button(key="progress_submit").click().run()
    assert at.error and "进度不能倒退" in at.error[0].value
    sample_session.expire_all()
    assert sample_session.scalar(select(func.count(m.ProjectProgress.id))) == count



def test_office_corrects_a_drawings_date_staff_do_not(sample_db, sample_session) -> None:
    from datetime import timedelta

    day = today_local()
    nanhu = sample_session.scalar(select(m.Subdistrict.id).where(m.Subdistrict.code == "nanhu"))
    projects = ren.projects_with_progress(sample_session, day)
    bidding = projects[(projects["programme"] == "old_compound") & (projects["batch"] == 2)
                       & (projects["stage"] == "bidding") & (projects["subdistrict_id"] == nanhu)]
    target = bidding.iloc[0]
    staff = _pick(open_page(signed_in("nanhu"), "renovation"), "old_compound:2", target["code"])
    assert f"施工图完成: {target['drawings_done_on'].isoformat()}" in _texts(staff)
    assert not [b for b in staff.button if b.key == "drawings_submit"]  # recorded: office only
    at = _pick(open_page(signed_in("office"), "renovation"), "old_compound:2", target["code"])
    assert at.date_input(key="drawings_date").value == target["drawings_done_on"]
    earlier = target["drawings_done_on"] - timedelta(days=3)
    at.date_input(key="drawings_date").set_value(earlier)
    at.button(key="drawings_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(earlier.isoformat() in x.value for x in at.success)
    assert f"施工图完成: {earlier.isoformat()}" in _texts(at)
    sample_session.expire_all()
    stored = sample_session.get(m.Project, int(target["id"]))
    assert stored.drawings_done_on == earlier and stored.version == int(target["version"]) + 1


def test_texts_have_both_languages() -> None:
    from civdata.texts.renovation import TEXTS

    assert all(isinstance(pair, tuple) and len(pair) == 2 and all(p.strip() for p in pair)
               for pair in TEXTS.values())
    from civdata.texts import catalogue

    assert {f"project.stage.{s}" for s in metrics.STAGE_ORDER} <= set(catalogue())
