"""The evaluation-readiness page through AppTest: the figures equal the data layer's (estimate,
range, parts, trend, points at risk, ledger, survey, materials), the forms write and refuse, and
who sees which form; the overview's headline figure."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from civdata.core import models as m
from civdata.core.clock import this_minute
from civdata.domain import evaluation, evaluation_tasks, materials, site_inspections, survey
from tests.pages.apptest import open_page, plotly_figures, signed_in, values
from ui.readiness import trend_end


def _metrics(at) -> dict[str, str]:
    return {x.label: x.value for x in at.metric}


def _table(at, first: str, second: str):
    """Return the value of the dataframe whose first two headers are these."""
    for frame in at.dataframe:
        cols = list(frame.value.columns)
        if cols[:2] == [first, second]:
            return frame.value
    raise AssertionError(f"no table starting {first}, {second}")


def _texts(at) -> str:
    parts = [e.value for kind in ("error", "success", "info", "warning", "caption", "markdown")
             for e in at.get(kind)]
    return "\n".join(str(p) for p in parts)


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 60)).save(buf, format="PNG")
    return buf.getvalue()


def _nanhu(session) -> int:
    return int(session.scalar(select(m.Subdistrict.id).where(m.Subdistrict.code == "nanhu")))


@pytest.fixture
def page(sample_db):
    """Return the readiness page signed in as the office."""
    return open_page(signed_in("office"), "readiness")


def test_estimate_range_and_parts_equal_the_data_layer(page, sample_db, sample_session) -> None:
    at = page
    now = this_minute()
    est = evaluation.readiness_estimate(sample_session, now, None)
    # against last week: the stored figure of last week's close, not the estimate 7 days ago
    before = evaluation.last_week_estimate(sample_session, trend_end(now.date()), None)
    assert at.title[0].value == "测评准备度 · 全区"
    label = f"预计得分（满分 {est.max_points:,.0f}）"
    assert _metrics(at)[label] == f"{est.total:,.1f}"
    assert {x.label: x.delta for x in at.metric}[label] == f"{est.total - before:+.1f}"
    assert f"95% 区间 {est.low:,.1f} – {est.high:,.1f}" in _texts(at)
    assert est.low <= est.total <= est.high <= est.max_points == 120
    for method, name in (("onsite", "实地考察"), ("survey", "问卷调查"), ("materials", "材料审核")):
        key = f"{name}（满分 {est.max_by_method[method]:,.0f}）"
        assert _metrics(at)[key] == f"{est.by_method[method]:,.1f}"
    rng, parts_fig = plotly_figures(at)[:2]
    assert values(rng.data[1].x)[0] == pytest.approx(est.total)
    assert values(rng.data[1].error_x.array)[0] == pytest.approx(est.high - est.total)
    assert values(rng.data[1].error_x.arrayminus)[0] == pytest.approx(est.total - est.low)
    parts = est.parts
    assert list(parts_fig.data[0].x) == list(parts["name_zh"])
    assert values(parts_fig.data[0].y) == pytest.approx(list(parts["estimated"]))
    assert values(parts_fig.data[1].y) == pytest.approx(list(parts["max_points"]))
    assert values(parts_fig.data[0].error_y.array) == pytest.approx(
        list(parts["high"] - parts["estimated"]))
    assert sum(parts["max_points"]) == pytest.approx(120)


def test_trend_and_fallback_categories(page, sample_db, sample_session) -> None:
    at = page
    now = this_minute()
    trend = evaluation.readiness_trend(sample_session, trend_end(now.date()), 12, None)
    fig = plotly_figures(at)[2]
    assert values(fig.data[2].y) == pytest.approx(list(trend["estimated"]))
    assert values(fig.data[1].y) == pytest.approx(list(trend["low"]))
    est = evaluation.readiness_estimate(sample_session, now, None)
    cats = dict(sample_session.execute(select(m.SiteCategory.code, m.SiteCategory.name_zh)).all())
    if est.fallback_categories:
        (warning,) = [w.value for w in at.warning if "扣分模型" in w.value]
        for code in est.fallback_categories:
            assert cats[code] in warning
    else:
        assert "全部点位类别均已有实地检查结果。" in _texts(at)


def test_points_at_risk_ranked_as_the_data_layer(page, sample_db, sample_session) -> None:
    at = page
    risk = evaluation.points_at_risk(sample_session, this_minute(), None)
    assert not risk.empty
    shown = _table(at, "序号", "内容编号")
    assert len(shown) == int((risk["points_lost"] > 0).sum()) > 0
    first, expected = shown.iloc[0], risk.iloc[0]
    assert first["内容编号"] == expected["content_code"]
    assert first["测评内容"] == expected["content_zh"]
    assert first["预计失分"] == pytest.approx(round(float(expected["points_lost"]), 2))
    assert first["牵头单位"] == (expected["lead_unit"] or "")
    assert bool(first["整改中"]) == bool(expected["work_under_way"])
    assert list(shown["预计失分"]) == sorted(shown["预计失分"], reverse=True)


def test_ledger_filters_equal_the_data_layer(page, sample_db, sample_session) -> None:
    at = page
    now = this_minute()
    everything = evaluation_tasks.six_lists(sample_session, now, None)
    assert len(_table(at, "内容编号", "任务")) == len(everything) > 0
    at.toggle(key="readiness_ledger_overdue").set_value(True).run()
    overdue = evaluation_tasks.six_lists(sample_session, now, None, overdue_only=True)
    if overdue.empty:
        assert "没有符合条件的任务。" in _texts(at)
    else:
        shown = _table(at, "内容编号", "任务")
        assert list(shown["任务"]) == list(overdue["task"])
        assert all(shown["超期"])
    at.toggle(key="readiness_ledger_overdue").set_value(False).run()
    code = everything["content_code"].iloc[0]
    at.selectbox(key="readiness_ledger_content").select(code).run()
    one = evaluation_tasks.six_lists(sample_session, now, None, content_code=code)
    assert list(_table(at, "内容编号", "任务")["任务"]) == list(one["task"])


def test_survey_rates_with_wilson_intervals(page, sample_db, sample_session) -> None:
    at = page
    rates = survey.survey_rates(sample_session, None)
    district = rates[rates["scope"] == "district"]
    assert not district.empty
    fig = plotly_figures(at)[3]
    assert values(fig.data[0].y) == pytest.approx(list(100 * district["rate"]))
    assert values(fig.data[0].error_y.array) == pytest.approx(
        list(100 * (district["high"] - district["rate"])))
    shown = _table(at, "题目", "维度")
    assert len(shown) == len(rates)


def test_materials_table_and_counts(page, sample_db, sample_session) -> None:
    at = page
    rows = materials.materials_overview(sample_session, this_minute(), None)
    shown = _table(at, "内容编号", "材料")
    assert list(shown["材料"]) == list(rows["title"])
    accepted = int((rows["status"] == "accepted").sum())
    assert f"已通过 {accepted}" in _texts(at)


def test_leader_sees_no_forms(sample_db) -> None:
    at = open_page(signed_in("leader"), "readiness")
    keys = {b.key for b in at.button}
    for form in ("inspect", "draw", "upload", "review"):
        assert f"readiness_{form}_submit" not in keys


def test_subdistrict_sees_its_own_and_cannot_review(sample_db, sample_session) -> None:
    at = open_page(signed_in("nanhu", query={"subdistrict": "xita"}), "readiness")
    assert at.title[0].value == "测评准备度 · 南湖"  # its own, whatever the sidebar says
    est = evaluation.readiness_estimate(sample_session, this_minute(), _nanhu(sample_session))
    assert _metrics(at)[f"预计得分（满分 {est.max_points:,.0f}）"] == f"{est.total:,.1f}"
    keys = {b.key for b in at.button}
    assert "readiness_review_submit" not in keys and "readiness_draw_submit" not in keys
    assert "readiness_inspect_submit" in keys


def test_site_inspection_failed_item_raises_a_problem(sample_db, sample_session) -> None:
    at = open_page(signed_in("nanhu"), "readiness")
    site_id = at.selectbox(key="readiness_inspect_site").value
    site = sample_session.get(m.Site, site_id)
    assert site.subdistrict_id == _nanhu(sample_session)
    items = [tg for tg in at.toggle if tg.key.startswith(f"readiness_item_{site_id}_")]
    assert items and all(tg.value for tg in items)  # every item starts as a pass
    before = sample_session.scalar(select(func.max(m.SiteInspection.id)))
    failed = items[0].key.removeprefix(f"readiness_item_{site_id}_")
    items[0].set_value(False)
    at.button(key="readiness_inspect_submit").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any("1 项不合格" in s.value for s in at.success)
    sample_session.expire_all()
    new = sample_session.scalar(select(m.SiteInspection).where(m.SiteInspection.id > before))
    assert (new.site_id, new.findings, new.created_by) == (site_id, 1, "nanhu")
    results = dict(sample_session.execute(
        select(m.SiteChecklistItem.code, m.SiteInspectionResult.passed)
        .join(m.SiteInspectionResult, m.SiteInspectionResult.item_id == m.SiteChecklistItem.id)
        .where(m.SiteInspectionResult.inspection_id == new.id)).all())
    assert results[failed] is False and sum(not v for v in results.values()) == 1
    # the failed item's class has an open problem at the site (raised now, or already open)
    cls = sample_session.scalar(select(m.SiteChecklistItem.class_id).where(
        m.SiteChecklistItem.code == failed, m.SiteChecklistItem.category_id == site.category_id))
    assert sample_session.scalar(select(func.count(m.Problem.id)).where(
        m.Problem.site_id == site_id, m.Problem.class_id == cls, m.Problem.status != "closed"))


def test_site_inspection_with_a_bad_photo_is_refused(sample_db, sample_session) -> None:
    at = open_page(signed_in("nanhu"), "readiness")
    site_id = at.selectbox(key="readiness_inspect_site").value
    before = sample_session.scalar(select(func.count(m.SiteInspection.id)))
    [tg for tg in at.toggle if tg.key.startswith(f"readiness_item_{site_id}_")][0].set_value(
        False)
    at.file_uploader(key="readiness_inspect_photo").upload("bad.jpg", b"\xff\xd8\xff\xe0 not a jpeg",
                                                           "image/jpeg")
    at.button(key="readiness_inspect_submit").click().run()
    assert [e.value for e in at.error] == ["照片文件已损坏或无法识别。"]
    sample_session.expire_all()
    assert sample_session.scalar(select(func.count(m.SiteInspection.id))) == before


def test_office_draws_a_round_with_its_seed(page, sample_db, sample_session) -> None:
    at = page
    before = site_inspections.rounds_overview(sample_session)
    at.text_input(key="readiness_draw_name").input("测试轮次")
    at.number_input(key="readiness_draw_size").set_value(60)
    at.number_input(key="readiness_draw_seed").set_value(4242)
    at.button(key="readiness_draw_submit").click().run()  # no inspector named: refused
    assert len(at.error) == 1
    assert len(site_inspections.rounds_overview(sample_session)) == len(before)
    at.text_area(key="readiness_draw_who").input("检查员甲\n检查员乙")
    at.button(key="readiness_draw_submit").click().run()
    assert not at.error, [e.value for e in at.error]
    after = site_inspections.rounds_overview(sample_session)
    assert len(after) == len(before) + 1
    new = after[after["name"] == "测试轮次"].iloc[0]
    assert int(new["seed"]) == 4242 and int(new["sites"]) >= 60
    sites = site_inspections.round_sites(sample_session, int(new["round_id"]))
    assert set(sites["inspector"]) == {"检查员甲", "检查员乙"}
    assert [s.value for s in at.success] == [
        f"已抽取“测试轮次”：{len(sites)} 个点位，随机种子 4242。"]
    assert "测试轮次" in list(_table(at, "轮次", "随机种子")["轮次"])


def test_material_upload_then_review(sample_db, sample_session) -> None:
    at = open_page(signed_in("office"), "readiness")
    material_id = at.selectbox(key="readiness_upload_material").value
    now = this_minute()
    row = lambda: materials.materials_overview(sample_session, now, None).set_index(  # noqa: E731
        "material_id").loc[material_id]
    version = int(row()["version"]) if row()["version"] == row()["version"] else 0
    at.file_uploader(key="readiness_upload_file").upload("plan.png", _png(), "image/png")
    at.button(key="readiness_upload_submit").click().run()
    assert not at.error, [e.value for e in at.error]
    sample_session.expire_all()
    assert row()["status"] == "submitted" and int(row()["version"]) == version + 1
    at.selectbox(key="readiness_review_material").select(material_id)
    at.radio(key="readiness_review_decision").set_value("return")
    at.button(key="readiness_review_submit").click().run()  # returned without a reason
    assert at.error
    sample_session.expire_all()
    assert row()["status"] == "submitted"
    at.text_input(key="readiness_review_reason").input("缺少盖章页")
    at.button(key="readiness_review_submit").click().run()
    assert not at.error, [e.value for e in at.error]
    sample_session.expire_all()
    assert row()["status"] == "returned" and row()["reason"] == "缺少盖章页"


def test_overview_shows_the_estimate_against_last_week(sample_db, sample_session) -> None:
    at = signed_in("leader")
    now = this_minute()
    est = evaluation.readiness_estimate(sample_session, now, None)
    # against the end of last week: its stored snapshot (issue 19, the weekly snapshots)
    before = evaluation.last_week_estimate(sample_session, trend_end(now.date()), None)
    label = f"测评预计得分（满分 {est.max_points:,.0f}）"
    shown = {x.label: x for x in at.metric}[label]
    assert shown.value == f"{est.total:,.1f}"
    assert shown.delta == f"{est.total - before:+.1f}"
    assert f"{est.low:,.1f} – {est.high:,.1f}" in shown.help


def test_phone_view_shows_the_inspection_form_first(sample_db) -> None:
    at = open_page(signed_in("nanhu", query={"view": "inspect"}), "readiness")
    assert not at.metric and not at.get("plotly_chart")  # the form alone, nothing to scroll
    assert "readiness_inspect_submit" in {b.key for b in at.button}
    leader = open_page(signed_in("leader", query={"view": "inspect"}), "readiness")
    assert "readiness_inspect_submit" not in {b.key for b in leader.button}


def test_inspection_site_picker_reads_no_open_problem(sample_db, sample_session,
                                                      monkeypatch) -> None:
    from civdata.domain import riskmodel, sites

    def refuse(*_a, **_k):
        raise AssertionError("the site picker read every open problem's links")

    monkeypatch.setattr(riskmodel, "read_open_links", refuse)
    monkeypatch.setattr(sites, "read_open_links", refuse)  # sites_with_problem_counts too
    at = open_page(signed_in("nanhu"), "readiness")
    assert not at.exception, at.exception
    picker = at.selectbox(key="readiness_inspect_site")
    mine = sample_session.execute(select(m.Site.code, m.Site.name_zh).join(m.Subdistrict).where(
        m.Subdistrict.code == "nanhu")).all()  # Nanhu's staff inspect Nanhu's sites
    assert sorted(picker.options) == sorted(f"{c} · {n}" for c, n in mine) and len(mine) == 40
