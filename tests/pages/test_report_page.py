"""The phone page /report (issue 20) through AppTest: who is offered it, a photo's EXIF GPS
fills the place and the duplicates, "same problem" confirms without filing, a report without
any location is refused and leaves nothing, my tasks count down and start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from civdata.core import models as m
from tests.civdata.domain.test_street import jpeg, north
from tests.pages.apptest import (
    component_protos,
    map_wire,
    maps_drawn,
    offered_pages,
    open_page,
    signed_in,
)


@pytest.fixture(autouse=True)
def _photos(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "photos"
    monkeypatch.setenv("CIVDATA_PHOTO_DIR", str(folder))
    return folder


def _count(session, model) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _open_nanhu_problem(session) -> tuple[m.Problem, str]:
    """Return an open nanhu problem with no open problem of its class within 50 m but itself,
    and its class code."""
    nanhu = session.scalar(select(m.Subdistrict.id).where(m.Subdistrict.code == "nanhu"))
    for problem in session.scalars(select(m.Problem).where(
            m.Problem.subdistrict_id == nanhu, m.Problem.status == "discovered")
            .order_by(m.Problem.id)):
        code = session.scalar(select(m.ProblemClass.code)
                              .where(m.ProblemClass.id == problem.class_id))
        from civdata.domain import street

        near = street.nearby_open_problems(session, code, *north(problem.lat, problem.lon, 20))
        if near["id"].tolist() == [problem.id]:
            return problem, code
    raise AssertionError("the sample has an open nanhu problem standing alone")


def test_offered_to_staff_office_and_market_only(sample_db) -> None:
    for user, offered in (("nanhu", True), ("office", True), ("market", True),
                          ("leader", False), ("admin", False)):
        assert ("report.py" in offered_pages(signed_in(user))) is offered, user


def test_exif_gps_fills_the_place_and_same_problem_confirms(sample_db, sample_session) -> None:
    problem, class_code = _open_nanhu_problem(sample_session)
    problems_before = _count(sample_session, m.Problem)
    at = open_page(signed_in("nanhu"), "report")
    at.file_uploader(key="report_photo").set_value(
        ("shot.jpg", jpeg(2000, 1500, gps=north(problem.lat, problem.lon, 20)), "image/jpeg"))
    at.selectbox(key="report_class").set_value(class_code)
    at.run()
    assert not at.exception, at.exception
    assert any("照片 GPS 信息" in s.body for s in at.success)
    place = " ".join(md.value for md in at.markdown)
    assert "南湖" in place and "最近测评点位" in place
    assert any("50 米内已有同类问题" in w.body for w in at.warning)
    dup = at.button(key=f"report_same_{problem.id}")
    assert dup.label == "同一问题" and not dup.disabled
    dup.click().run()
    assert not at.exception, at.exception
    assert _count(sample_session, m.Problem) == problems_before
    rows = sample_session.execute(select(m.ProblemConfirmation.confirmed_by,
                                         m.ProblemConfirmation.location_source)
                                  .where(m.ProblemConfirmation.problem_id == problem.id)).all()
    assert rows == [("nanhu", "exif")]
    assert any(f"已作为确认加入问题 {problem.code}（共确认 1 次）" in s.body for s in at.success)


def test_the_card_counts_the_confirmations(sample_db, sample_session) -> None:
    problem, _ = _open_nanhu_problem(sample_session)
    from civdata.core.auth import Actor
    from civdata.domain import street

    street.confirm_problem(sample_session, Actor("office", "office"), problem.id, photo=jpeg(),
                           device=(problem.lat, problem.lon))
    sample_session.commit()
    at = signed_in("office")
    at.query_params["problem"] = problem.code
    open_page(at, "problems")
    assert any("随手拍确认 1 次" in c.value for c in at.caption)


def test_no_location_offers_the_map_and_refuses_to_file(sample_db, sample_session) -> None:
    before = _count(sample_session, m.Problem)
    at = open_page(signed_in("nanhu"), "report")
    assert any("还没有位置" in i.body for i in at.info)
    assert any("tap-areas" in map_wire(proto) for proto in maps_drawn(at))
    assert all("mapbox" not in map_wire(proto) and "carto" not in map_wire(proto)
               for proto in maps_drawn(at))
    at.file_uploader(key="report_photo").set_value(("shot.jpg", jpeg(), "image/jpeg"))
    at.text_area(key="report_text").input("垃圾堆放")
    at.button(key="report_submit").click().run()
    assert not at.exception, at.exception
    assert any("没有位置" in e.body for e in at.error)
    assert _count(sample_session, m.Problem) == before


def test_report_with_exif_files_a_new_problem(sample_db, sample_session) -> None:
    problem, class_code = _open_nanhu_problem(sample_session)
    before = _count(sample_session, m.Problem)
    at = open_page(signed_in("nanhu"), "report")
    other = next(c for c in ("sanitation", "public_order", "facilities")
                 if c != class_code)  # another class: no duplicate to suggest
    at.file_uploader(key="report_photo").set_value(
        ("shot.jpg", jpeg(gps=north(problem.lat, problem.lon, 20)), "image/jpeg"))
    at.selectbox(key="report_class").set_value(other)
    at.text_area(key="report_text").input("路边垃圾")
    at.run()
    at.button(key="report_submit").click().run()
    assert not at.exception, at.exception
    assert _count(sample_session, m.Problem) == before + 1
    new = sample_session.scalars(select(m.Problem).order_by(m.Problem.id.desc())).first()
    assert (new.description, new.created_by, new.source) == ("路边垃圾", "nanhu",
                                                             "daily_inspection")
    assert any(f"已上报问题 {new.code}" in s.body for s in at.success)


def test_my_tasks_count_down_and_start(sample_db, sample_session) -> None:
    at = open_page(signed_in("nanhu"), "report")
    labels = [md.value for md in at.markdown if md.value.startswith(("**P", ":red[**P"))]
    assert labels, "nanhu has tasks in the sample"
    assert all(("已超期" in v) == v.startswith(":red") for v in labels)
    assert any("按期限排序" in c.value for c in at.caption)
    nanhu = sample_session.scalar(select(m.Subdistrict.id).where(m.Subdistrict.code == "nanhu"))
    assigned = sample_session.scalar(select(m.Problem).where(
        m.Problem.subdistrict_id == nanhu, m.Problem.status == "assigned")
        .order_by(m.Problem.deadline).limit(1))
    if assigned is None:
        pytest.skip("no assigned nanhu problem in the sample")
    picker = at.selectbox(key="report_task")
    position = next(i for i, label in enumerate(picker.options) if label.startswith(assigned.code))
    picker.set_value(position).run()  # the values are the positions in the list shown
    at.button(key="report_start").click().run()
    assert not at.exception, at.exception
    sample_session.expire_all()
    assert sample_session.get(m.Problem, assigned.id).status == "rectifying"
    assert any(f"问题 {assigned.code} 已开始整改" in s.body for s in at.success)


def _geolocation_data(at) -> dict:
    """Return the data the page gave the geolocation component in the last run."""
    found = [json.loads(proto.json) for proto in component_protos(at, "civ_device_position")]
    assert len(found) == 1, found
    return found[0]


def test_a_refused_location_is_remembered_for_the_session(sample_db) -> None:
    """A refusal answered once (on a plain-http intranet: every time) shows on the next visit's
    first run, and the component is told it, so it does not send it again by itself."""
    at = open_page(signed_in("nanhu"), "report")
    assert _geolocation_data(at)["known"] is None
    assert not [c for c in at.caption if "未获得手机定位" in c.value]
    at.session_state["report_geo_refused"] = "denied"  # what an earlier visit's answer left
    open_page(at, "overview")
    open_page(at, "report")
    data = _geolocation_data(at)
    assert (data["auto"], data["known"]) == (True, "denied")
    assert [c for c in at.caption if "未获得手机定位" in c.value]
    assert any("report_tap_areas" in (proto.id or "") for proto in maps_drawn(at))


def test_a_fix_or_a_passing_refusal_forgets_the_remembered_one(sample_db) -> None:
    """The phone answers with a fix (or a refusal that may pass: no fix in time): the refusal
    remembered from an earlier visit is forgotten, and the page uses the answer."""
    at = open_page(signed_in("nanhu"), "report")
    at.session_state["report_geo_refused"] = "denied"
    at.session_state["report_geo"] = {"position": {"lat": 41.7566, "lon": 123.4248,
                                                   "accuracy": 12, "at": 1, "asked": 2}}
    at.run()
    assert not at.exception, at.exception
    assert "report_geo_refused" not in at.session_state
    assert not [c for c in at.caption if "未获得手机定位" in c.value]
    assert any("位置来源：手机定位" in s.body for s in at.success)
    assert not maps_drawn(at)  # no tap map: the phone gave the place
    at.session_state["report_geo_refused"] = "denied"
    at.session_state["report_geo"] = {"position": {"error": "unavailable", "asked": 3}}
    at.run()
    assert "report_geo_refused" not in at.session_state
    assert [c for c in at.caption if "未获得手机定位" in c.value]  # this answer's note
    at.session_state["report_geo"] = {"position": {"error": "denied", "asked": 4}}
    at.run()
    assert at.session_state["report_geo_refused"] == "denied"
