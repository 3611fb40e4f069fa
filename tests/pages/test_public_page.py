"""The public report page (no sign-in) and the office's moderation queue, through AppTest
(issue 20): what a signed-out visitor sees, refusals in the user's language, the status by code
without anything personal, escaped text, and decisions that reach the database."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.core.db import make_engine, session_factory
from civdata.domain import public_reports as pr
from tests.conftest import ROOT
from tests.pages.apptest import DASHBOARD, deck_specs, maps_drawn, open_page, signed_in
from ui import nav

PUBLIC_PAGE = str(ROOT / "pages" / "public.py")
NANHU = (41.7615, 123.4268)


@pytest.fixture
def db(sample_db, tmp_path, monkeypatch):
    """Return a session factory on this test's sample copy (photos under tmp_path)."""
    monkeypatch.setenv("CIVDATA_PHOTO_DIR", str(tmp_path / "photos"))
    monkeypatch.delenv("CIVDATA_TILE_URL", raising=False)
    eng = make_engine(sample_db)
    yield session_factory(eng)
    eng.dispose()


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (20, 16), (200, 90, 20)).save(buf, format="JPEG")
    return buf.getvalue()


def _file(db, **kw) -> m.PublicReport:
    with db() as s:
        args = {"class_code": "sanitation", "lat": NANHU[0], "lon": NANHU[1],
                "description": "东门积水 **很多** <img src=x>", "photo": _jpeg(),
                "phone": "13800001234", "browser_session": "seed"} | kw
        report = pr.submit_public_report(s, **args)
        s.commit()
        s.refresh(report)
        s.expunge(report)
        return report


def public_app() -> AppTest:
    """Return the app opened at /public by a signed-out visitor."""
    at = AppTest.from_file(DASHBOARD, default_timeout=90)
    at.run()
    at.switch_page(PUBLIC_PAGE).run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> str:
    return " ".join([e.value for e in at.markdown] + [e.value for e in at.error]
                    + [e.value for e in at.success] + [e.value for e in at.warning]
                    + [e.value for e in at.info] + [e.value for e in at.caption])


def test_the_public_page_opens_without_sign_in(db) -> None:
    at = public_app()
    assert at.title[0].value == "市民随手拍"
    assert not [w for w in at.text_input if w.key == "login_password"]  # no login form
    [deck] = deck_specs(at)
    ids = [layer["id"] for layer in deck["layers"]]
    assert ids == ["tap-cells"] and "mapProvider" not in deck  # no tiles, nothing fetched
    assert len(deck["layers"][0]["data"]) > 1000  # the district's cells to tap


def test_sending_without_a_point_or_a_photo_is_refused_and_saves_nothing(db) -> None:
    at = public_app()
    at.text_area(key="public_text").input("路边垃圾")
    at.button[-1].click().run()  # the form's submit button
    assert "请确定问题位置" in _texts(at)
    at.session_state["public_point"] = (NANHU[0], NANHU[1], "map", None)
    at.run()
    assert "已选位置" in _texts(at)
    at.button[-1].click().run()
    assert "请拍摄或选择一张现场照片" in _texts(at)
    with db() as s:
        assert s.scalar(select(m.PublicReport.id)) is None


def test_the_sixth_report_of_the_session_is_refused(db) -> None:
    for i in range(pr.RATE_LIMIT):
        _file(db, browser_session="tab-7", client_address=f"198.51.100.{i}")
    at = AppTest.from_file(DASHBOARD, default_timeout=90)
    at.session_state["public_session"] = "tab-7"
    at.session_state["public_point"] = (NANHU[0], NANHU[1], "map", None)
    at.run()
    at.switch_page(PUBLIC_PAGE).run()
    at.text_area(key="public_text").input("又一处垃圾")
    at.button[-1].click().run()
    assert "每小时最多提交 5 条举报" in _texts(at)
    with db() as s:
        assert len(s.scalars(select(m.PublicReport.id)).all()) == pr.RATE_LIMIT


def test_status_by_code_shows_the_reason_escaped_and_nothing_personal(db) -> None:
    report = _file(db)
    with db() as s:
        pr.reject_report(s, Actor("office", "office"), report.id, expected_version=1,
                         reason="请拨打 **12345** <b>热线</b>")
        s.commit()
    at = AppTest.from_file(DASHBOARD, default_timeout=90)
    at.query_params["code"] = report.code.lower()
    at.run()
    at.switch_page(PUBLIC_PAGE).run()
    shown = _texts(at)
    assert report.code.replace("-", r"\-") in shown and "未受理" in shown
    # the reason is shown literally: Markdown and HTML characters escaped, not rendered
    assert r"请拨打 \*\*12345\*\* \<b\>热线" in shown and "**12345**" not in shown
    assert "13800001234" not in shown and "积水" not in shown and "office" not in shown
    at.text_input(key="public_code").set_value("ZZZZ-ZZZZ").run()
    assert "没有找到这个编号的举报" in _texts(at)


def test_a_signed_out_session_reaches_no_other_page(db) -> None:
    for spec in nav.PAGES:
        at = public_app()
        at.switch_page(str(ROOT / spec.file)).run()
        assert [w for w in at.text_input if w.key == "login_password"], spec.url_path
        assert not maps_drawn(at) and not at.get("plotly_chart"), spec.url_path
        assert not at.metric, spec.url_path


def test_moderation_queue_rejects_with_a_reason_and_accepts_as_a_problem(db) -> None:
    first = _file(db, description="第一条 <script>alert(1)</script>")
    second = _file(db, description="第二条")
    at = open_page(signed_in("office"), "moderation")
    [table] = at.dataframe
    assert table.value.iloc[:, 0].tolist() == [first.code, second.code]
    assert "第一条 <script>alert(1)</script>" in table.value.iloc[:, 6].tolist()  # as stored
    at.selectbox(key="moderation_pick").set_value(first.id).run()
    at.segmented_control(key="moderation_decision").set_value("reject").run()
    at.text_area(key="moderation_reason").input("重复举报")
    at.button[-1].click().run()
    assert not at.exception, at.exception
    assert f"{first.code} 已退回" in " ".join(e.value for e in at.success)
    at.selectbox(key="moderation_pick").set_value(second.id).run()
    at.segmented_control(key="moderation_decision").set_value("accept").run()
    at.button[-1].click().run()
    assert not at.exception, at.exception
    with db() as s:
        decided = {r.code: r for r in s.scalars(select(m.PublicReport))}
        assert decided[first.code].status == "rejected"
        assert decided[first.code].reason == "重复举报"
        problem = s.get(m.Problem, decided[second.code].problem_id)
        assert problem.source == "public_report" and problem.description == "第二条"
    assert at.info and at.info[0].value == "没有待审核的举报。"


def test_only_the_office_is_offered_the_moderation_page(db) -> None:
    spec = nav.spec_for_path("moderation")
    assert spec is not None and spec.roles == frozenset({"office"})
    assert "public" not in {s.url_path for s in nav.PAGES}  # never in a signed-in menu


def test_a_tile_url_draws_raster_tiles_under_every_layer(db, monkeypatch) -> None:
    monkeypatch.setenv("CIVDATA_TILE_URL", "http://tiles.intranet.local/{z}/{x}/{y}.png")
    at = public_app()
    [deck] = deck_specs(at)
    tiles = deck["layers"][0]
    assert tiles["@@type"] == "TerrainLayer" and tiles["id"] == "base-tiles"
    assert tiles["texture"] == "http://tiles.intranet.local/{z}/{x}/{y}.png"
    assert set(tiles["elevationDecoder"].values()) == {0}  # a flat mesh: the image only
    assert "mapProvider" not in deck
    at = open_page(signed_in("office"), "map")
    assert all(d["layers"][0]["id"] == "base-tiles" for d in deck_specs(at))


@pytest.mark.parametrize(("peer", "forwarded", "expected"), [
    ("203.0.113.9", None, "203.0.113.9"),
    ("203.0.113.9", "10.0.0.1", "203.0.113.9"),  # a direct client cannot claim another address
    ("127.0.0.1", "6.6.6.6, 198.51.100.4", "198.51.100.4"),  # nginx appends the real one last
    ("127.0.0.1", None, "127.0.0.1"),
    (None, None, None),
])
def test_the_client_address_trusts_only_our_own_proxy(peer, forwarded, expected) -> None:
    from ui.public import address_from

    assert address_from(peer, forwarded) == expected


def test_one_geolocation_component_serves_both_phone_pages() -> None:
    """/report and /public ask the phone for its position through ui.geolocation, the only
    module with a component that reads navigator.geolocation."""
    asking = sorted(p.name for p in (ROOT / "ui").glob("*.py")
                    if "navigator.geolocation" in p.read_text(encoding="utf-8"))
    assert asking == ["geolocation.py"]
    for module in ("public.py", "report.py"):
        assert "from ui.geolocation import" in (ROOT / "ui" / module).read_text(encoding="utf-8")
