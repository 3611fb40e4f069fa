"""The problems page through AppTest: figures equal the data layer, charts, forms change records."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.domain import problems as P
from civdata.domain import workflow
from tests.pages.apptest import open_page, plotly_figures, signed_in, values

WINDOW = 30


def _page_now(at) -> datetime:
    """Return the moment the page computed its figures at: the last second of the minute its
    caption shows (civdata.core.clock.this_minute)."""
    text = next(c.value for c in at.caption if c.value.startswith(("数据截至", "Data as of")))
    return datetime.strptime(text[-16:], "%Y-%m-%d %H:%M").replace(second=59)


def _metrics(at) -> dict[str, str]:
    return {el.label: el.value for el in at.metric}


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def _nanhu(session) -> int:
    return session.scalar(select(m.Subdistrict.id).where(m.Subdistrict.code == "nanhu"))


def test_figures_and_charts_equal_the_data_layer(sample_db, sample_session) -> None:
    at = open_page(signed_in("office"), "problems")
    now = _page_now(at)
    since = now - timedelta(days=WINDOW)
    rates = P.subdistrict_close_rates_at(sample_session, [now], WINDOW)[0]
    overall = P.close_stats_overall(sample_session, since, now)
    shown = _metrics(at)
    assert shown["未结问题"] == f"{rates['open'].sum():,.0f}"
    assert shown["超期问题"] == f"{rates['overdue'].sum():,.0f}"
    rate = overall["on_time"].iloc[0] / overall["closed"].iloc[0]
    assert shown["按期销号率"] == f"{100 * rate:.1f}%"
    assert shown["销号用时中位数（小时）"] == f"{overall['median_hours'].iloc[0]:,.1f}"
    assert rates["open"].sum() > 0 and rates["overdue"].sum() > 0

    funnel, ageing, heat, rate_fig = plotly_figures(at)
    stages = P.funnel_stages(P.status_counts(sample_session, since, None))
    assert values(funnel.data[0].x) == list(stages["reached"])
    assert list(funnel.data[0].y)[0] == "已发现"
    ages = P.open_problem_ages(sample_session, now, None)
    assert sum(sum(values(tr.y)) for tr in ageing.data) == int(ages["count"].sum())
    rect = ages[ages["status"] == "rectifying"].set_index("label")["count"]
    trace = next(tr for tr in ageing.data if tr.name == "整改中")
    assert values(trace.y) == [int(rect.get(lb, 0)) for lb in trace.x]
    matrix = P.class_subdistrict_counts(sample_session, since)
    assert sum(map(sum, heat.data[0].z)) == int(matrix["found"].sum())
    by_sub = P.close_stats_by_subdistrict(sample_session, since, now)
    bars = values(rate_fig.data[0].y)
    assert len(bars) == 12
    assert sorted(bars) == sorted((100 * by_sub["on_time_rate"]).round(1).tolist())

    overdue = P.overdue_problems(sample_session, now, None)
    table = next(df.value for df in at.dataframe if "超期天数" in df.value.columns)
    assert list(table["编号"]) == list(overdue["code"])
    assert list(table["超期天数"]) == sorted(table["超期天数"], reverse=True)
    assert set(table["督办层级"]) - {""} <= {"街道主要领导督办", "区创城指挥部督办", "问责名单"}


def test_red_and_black_lists(sample_db, sample_session) -> None:
    at = open_page(signed_in("leader"), "problems")
    now = _page_now(at)
    lists = P.on_time_ranking(  # each end read on its own, the page reads both in one pass
        P.subdistrict_close_rates_at(sample_session, [now], WINDOW)[0],
        P.subdistrict_close_rates_at(sample_session, [now - timedelta(days=7)], WINDOW)[0],
        10, 3)
    ranked = [df.value for df in at.dataframe if "名次" in df.value.columns]
    red, black, full = ranked[0], ranked[1], ranked[2]
    assert list(red["街道"]) == list(lists.loc[lists["list"] == "red", "name_zh"])
    assert list(black["街道"]) == list(lists.loc[lists["list"] == "black", "name_zh"])
    assert len(red) == len(black) == 3 and len(full) == 12
    assert "问题少于 10 件" in " ".join(c.value for c in at.caption)
    assert "当前角色只能查看。" in [c.value for c in at.caption]  # leaders see no forms


def test_subdistrict_user_sees_its_work_queue(sample_db, sample_session) -> None:
    at = open_page(signed_in("nanhu"), "problems")
    now = _page_now(at)
    queue = P.work_queue(sample_session, _nanhu(sample_session), now)
    table = next(df.value for df in at.dataframe if "剩余小时" in df.value.columns)
    assert list(table["编号"]) == list(queue["code"]) and len(queue) > 0
    # The only actions offered are the subdistrict's own: start and submit.
    assert at.selectbox(key="action_pick").options == ["开始整改", "提交整改"]


def test_drill_down_by_url(sample_db, sample_session) -> None:
    at = open_page(signed_in("office", {"subdistrict": "nanhu"}), "problems")
    now = _page_now(at)
    rates = P.subdistrict_close_rates_at(sample_session, [now], WINDOW)[0]
    nanhu = rates[rates["code"] == "nanhu"].iloc[0]
    assert _metrics(at)["未结问题"] == f"{nanhu['open']:,.0f}"
    assert "南湖" in at.title[0].value


def test_assign_form_changes_the_record_and_the_page(sample_db, sample_session) -> None:
    at = open_page(signed_in("office"), "problems")
    funnel_before = values(plotly_figures(at)[0].data[0].x)
    at.selectbox(key="action_pick").select("assign").run()
    # a problem found inside the funnel's window, so the funnel must move
    since = _page_now(at) - timedelta(days=WINDOW)
    picker = at.selectbox(key="action_problem")
    recent = set(sample_session.scalars(select(m.Problem.code)
                                        .where(m.Problem.discovered_at >= since)))
    code = next(label.split(" · ")[0] for label in picker.options
                if label.split(" · ")[0] in recent)
    pid = sample_session.scalar(select(m.Problem.id).where(m.Problem.code == code))
    picker.set_value(pid).run()
    assert at.selectbox(key="action_problem").value == pid
    at.text_input(key="action_unit").input("南湖街道城管科")
    at.text_area(key="action_note").input("请三日内整改")
    _button(at, "确认").click().run()
    assert not at.exception, at.exception
    sample_session.expire_all()
    row = sample_session.get(m.Problem, pid)
    assert (row.status, row.responsible_unit) == ("assigned", "南湖街道城管科")
    assert row.deadline is not None and row.version == 2
    assert any(code in s.value and "已交办" in s.value for s in at.success)
    funnel_after = values(plotly_figures(at)[0].data[0].x)
    assert funnel_after[1] == funnel_before[1] + 1  # one more problem reached 'assigned'
    assert pid not in at.selectbox(key="action_problem").options
    assert at.text_area(key="action_note").value == ""  # cleared after success


def test_refusal_shown_in_the_users_language(sample_db, sample_session) -> None:
    at = open_page(signed_in("office"), "problems")
    at.selectbox(key="action_pick").select("reject").run()
    pid = at.selectbox(key="action_problem").value
    _button(at, "确认").click().run()
    assert [e.value for e in at.error] == ["退回整改需写明理由。"]
    sample_session.expire_all()
    assert sample_session.get(m.Problem, pid).status == "submitted"
    # (AppTest formats the sidebar's option labels outside the session, so the English run
    # of a page after a page switch cannot be driven here; the message table is tested in
    # tests/civdata/domain/test_workflow.py.)


def test_stale_edit_shows_who_changed_it(sample_db, sample_session) -> None:
    at = open_page(signed_in("office"), "problems")
    at.selectbox(key="action_pick").select("start").run()
    pid = at.selectbox(key="action_problem").value
    problem = sample_session.get(m.Problem, pid)
    # Meanwhile the subdistrict starts the same problem.
    owner = Actor("nanhu", "subdistrict", problem.subdistrict_id)
    workflow.transition(sample_session, owner, pid, "start",
                        expected_version=problem.version)
    sample_session.commit()
    at.text_area(key="action_note").input("我来整改")
    _button(at, "确认").click().run()
    assert at.text_area(key="action_note").value == "我来整改"  # the typed note is kept
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "已被 nanhu 于" in errors[0] and "请刷新后重试" in errors[0]
    sample_session.expire_all()
    events = sample_session.scalar(select(func.count()).select_from(m.ProblemEvent).where(
        m.ProblemEvent.problem_id == pid, m.ProblemEvent.to_status == "rectifying",
        m.ProblemEvent.from_status == "assigned"))
    assert events == 1  # the first change kept, the second refused


def test_report_form_creates_a_problem(sample_db, sample_session) -> None:
    before = sample_session.scalar(select(func.count(m.Problem.id)))
    at = open_page(signed_in("nanhu"), "problems")
    site_id = at.selectbox(key="report_site").value
    at.selectbox(key="report_class").select("sanitation")
    at.text_area(key="report_text").input("人行道垃圾堆放")
    _button(at, "上报").click().run()
    assert not at.exception, at.exception
    sample_session.expire_all()
    assert sample_session.scalar(select(func.count(m.Problem.id))) == before + 1
    new = sample_session.scalar(select(m.Problem).order_by(m.Problem.id.desc()).limit(1))
    assert (new.site_id, new.description, new.status, new.created_by) == (
        site_id, "人行道垃圾堆放", "discovered", "nanhu")
    assert new.subdistrict_id == _nanhu(sample_session)
    assert any(new.code in s.value for s in at.success)
    queue = next(df.value for df in at.dataframe if "剩余小时" in df.value.columns)
    assert new.code in list(queue["编号"])


def test_report_by_coordinates_outside_the_district_refused(sample_db, sample_session) -> None:
    before = sample_session.scalar(select(func.count(m.Problem.id)))
    at = open_page(signed_in("office"), "problems")
    at.radio(key="report_mode").set_value("coords").run()
    at.number_input(key="report_lat").set_value(39.9)
    at.number_input(key="report_lon").set_value(116.4)
    at.text_area(key="report_text").input("坐标错误")
    _button(at, "上报").click().run()
    assert any("不在和平区范围内" in e.value for e in at.error)
    assert sample_session.scalar(select(func.count(m.Problem.id))) == before


def _png() -> bytes:
    """Return a small PNG."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 60)).save(buf, format="PNG")
    return buf.getvalue()


def _stored(folder) -> list:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_report_with_photo_and_bad_photo(sample_db, sample_session, tmp_path,
                                         monkeypatch) -> None:
    folder = tmp_path / "photos"
    monkeypatch.setenv("CIVDATA_PHOTO_DIR", str(folder))
    before = sample_session.scalar(select(func.count(m.Problem.id)))
    at = open_page(signed_in("nanhu"), "problems")
    at.text_area(key="report_text").input("井盖破损")
    at.file_uploader(key="report_photo").upload("bad.jpg", b"\xff\xd8\xff\xe0 not a jpeg",
                                                "image/jpeg")
    _button(at, "上报").click().run()
    assert [e.value for e in at.error] == ["照片文件已损坏或无法识别。"]
    assert sample_session.scalar(select(func.count(m.Problem.id))) == before
    assert _stored(folder) == []

    at.text_area(key="report_text").input("井盖破损")
    at.file_uploader(key="report_photo").upload("ok.png", _png(), "image/png")
    _button(at, "上报").click().run()
    assert not at.error, [e.value for e in at.error]
    sample_session.expire_all()
    new = sample_session.scalar(select(m.Problem).order_by(m.Problem.id.desc()).limit(1))
    assert new.description == "井盖破损" and new.photo_before.endswith(".png")
    assert (folder / new.photo_before).exists()
    assert (folder / "thumbs" / new.photo_before).with_suffix(".jpg").exists()


def test_submit_with_after_photo_shows_thumbnails(sample_db, sample_session, tmp_path,
                                                  monkeypatch) -> None:
    monkeypatch.setenv("CIVDATA_PHOTO_DIR", str(tmp_path / "photos"))
    at = open_page(signed_in("office"), "problems")
    at.selectbox(key="action_pick").select("submit").run()
    pid = at.selectbox(key="action_problem").value
    at.file_uploader(key="action_photo").upload("after.png", _png(), "image/png")
    _button(at, "确认").click().run()  # a photo without a note is refused
    assert [e.value for e in at.error] == ["提交整改需同时填写整改说明并上传整改后照片。"]
    assert _stored(tmp_path / "photos") == []  # stored before the write, removed on refusal
    sample_session.expire_all()
    assert sample_session.get(m.Problem, pid).status == "rectifying"
    at.text_area(key="action_note").input("已清理")
    _button(at, "确认").click().run()
    assert not at.error, [e.value for e in at.error]
    sample_session.expire_all()
    row = sample_session.get(m.Problem, pid)
    assert row.status == "submitted" and row.photo_after.endswith(".png")
    at.selectbox(key="action_pick").select("accept").run()
    at.selectbox(key="action_problem").select(pid).run()
    assert len(at.get("image")) == 1  # the after-photo's thumbnail on the card
    assert "整改前: 无照片" in [c.value for c in at.caption]


def test_market_bureau_handles_only_its_inspections_problems(sample_db, sample_session) -> None:
    at = open_page(signed_in("market"), "problems")
    assert at.selectbox(key="action_pick").options == [
        "交办", "开始整改", "提交整改", "复核通过（销号）", "退回整改"]
    assert at.selectbox(key="report_source").options == ["市场检查"]
    at.selectbox(key="action_pick").select("start").run()
    ids = at.selectbox(key="action_problem").options
    sources = set(sample_session.scalars(select(m.Problem.source).where(
        m.Problem.code.in_([label.split(" · ")[0] for label in ids]))).all())
    assert ids and sources == {"market_inspection"}


def test_reopen_is_offered_as_the_data_layer_allows(sample_db, sample_session) -> None:
    """Issue 17: the reopen form was offered to office and market only, while the data layer
    lets subdistrict staff reopen their own closed problems; it now asks can() per problem:
    staff see their own subdistrict's, the market bureau only its inspections'."""
    def offered(user: str) -> set[str]:
        at = open_page(signed_in(user), "problems")
        return {label.split(" · ")[0] for label in at.selectbox(key="reopen_problem").options}

    mine = offered("nanhu")
    rows = sample_session.execute(select(m.Problem.subdistrict_id, m.Problem.source)
                                  .where(m.Problem.code.in_(mine))).all()
    assert mine and {sub for sub, _ in rows} == {_nanhu(sample_session)}
    bureau = offered("market")
    sources = set(sample_session.scalars(select(m.Problem.source)
                                         .where(m.Problem.code.in_(bureau))))
    assert bureau and sources == {"market_inspection"}
