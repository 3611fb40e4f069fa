"""The phone page /report in Chromium's mobile emulation at 390×844 (issue 20): the phone's
position (Playwright's fake geolocation), a photo chosen through the file chooser, the duplicate
suggestion within 50 m and "same problem"; with geolocation denied, the point comes from the
photo's EXIF GPS. One column, no horizontal scroll, touch targets of at least 44 px."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from civdata.core import models as m
from civdata.core.db import make_engine, session_factory
from civdata.domain import street
from tests.browser.conftest import WEBGL_CANVASES, BrowserPage, login, map_ink, wait_ready
from tests.civdata.domain.test_street import jpeg, north
from tests.conftest import DEMO_PASSWORDS, ROOT

PHONE = {"width": 390, "height": 844}
SHOTS = ROOT / "docs" / "screenshots"


def _session(app_server):
    return session_factory(make_engine(app_server.database_url))()


def _lone_open_problem(app_server) -> tuple[int, str, str, float, float]:
    """Return (id, code, class name, lat, lon) of an open nanhu problem with no other open
    problem of its class within 50 m of a point 20 m north of it."""
    with _session(app_server) as s:
        nanhu = s.scalar(select(m.Subdistrict.id).where(m.Subdistrict.code == "nanhu"))
        for p in s.scalars(select(m.Problem).where(m.Problem.subdistrict_id == nanhu,
                                                   m.Problem.status == "discovered")
                           .order_by(m.Problem.id)):
            cls = s.get(m.ProblemClass, p.class_id)
            if street.nearby_open_problems(s, cls.code, *north(p.lat, p.lon, 20))["id"] \
                    .tolist() == [p.id]:
                return p.id, p.code, cls.name_zh, p.lat, p.lon
    raise AssertionError("the sample has an open nanhu problem standing alone")


@pytest.fixture
def phone_for(browser, app_server) -> Iterator:
    """Return a maker of phone-sized browser pages (geolocation granted at a point, or denied)."""
    contexts = []

    def make(position: tuple[float, float] | None) -> BrowserPage:
        options = {"viewport": PHONE, "is_mobile": True, "has_touch": True,
                   "device_scale_factor": 2, "locale": "zh-CN"}
        if position is not None:
            options.update(geolocation={"latitude": position[0], "longitude": position[1],
                                        "accuracy": 12}, permissions=["geolocation"])
        context = browser.new_context(**options)
        contexts.append(context)
        outside: list[str] = []
        context.on("request", lambda r: outside.append(r.url) if r.url.startswith(
            ("http://", "https://", "ws://", "wss://")) and "127.0.0.1" not in r.url else None)
        page = context.new_page()
        page.set_default_timeout(60_000)
        return BrowserPage(page=page, outside_requests=outside, base_url=app_server.url)

    yield make
    for context in contexts:
        context.close()


def _sign_in_and_open_report(web: BrowserPage, user: str = "nanhu") -> None:
    """Sign in on the phone (the sidebar stays folded) and open /report."""
    page = web.page
    page.goto(web.base_url + "/report")
    wait_ready(page, 'input[type="password"]')
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(DEMO_PASSWORDS[user])
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="随手拍上报").wait_for()
    wait_ready(page)


def _choose_photo(page, path: Path) -> None:
    """Pick a photo through the file chooser of the photo uploader."""
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="现场照片")
    with page.expect_file_chooser() as chooser:
        uploader.locator('[data-testid="stFileUploaderDropzone"] button').first.click()
    chooser.value.set_files(str(path))
    page.get_by_text(path.name).wait_for()
    wait_ready(page)


def _choose_class(page, name: str) -> None:
    box = page.get_by_role("combobox", name="问题类别", exact=True)
    box.click()
    box.fill(name)  # typing opens the list and filters it
    page.get_by_role("option", name=name, exact=True).click()
    wait_ready(page)


def _fits_a_phone(page) -> None:
    """Assert: no horizontal scroll, and every visible button is at least 44 px tall."""
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"horizontal scroll: {width}"
    small = page.evaluate("""() => [...document.querySelectorAll(
        '[data-testid="stMain"] button, [data-testid="stMain"] [role="combobox"]')]
        .filter(b => b.offsetParent !== null)
        .map(b => [b.innerText.trim().slice(0, 20), b.getBoundingClientRect().height])
        .filter(([, h]) => h > 0 && h < 44)""")
    assert small == [], f"touch targets under 44 px: {small}"


def _shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_phone_position_duplicate_and_same_problem(phone_for, app_server, tmp_path) -> None:
    pid, code, class_name, lat, lon = _lone_open_problem(app_server)
    here = north(lat, lon, 20)
    web = phone_for(here)
    page = web.page
    _sign_in_and_open_report(web)
    page.get_by_text(re.compile(r"手机定位，精度约 ±12 米")).wait_for()
    photo = tmp_path / "street.jpg"
    photo.write_bytes(jpeg(3000, 2000))  # no GPS in it: the phone's position is used
    _choose_photo(page, photo)
    _choose_class(page, class_name)
    page.get_by_text("附近 50 米内已有同类问题").wait_for()
    card = page.locator(f'[class*="st-key-report_dup_{pid}"]')
    card.get_by_text(re.compile(f"{code} · 20 米")).wait_for()
    _fits_a_phone(page)
    _shot(page, "report-phone-duplicate")
    with _session(app_server) as s:
        problems = s.scalar(select(func.count(m.Problem.id)))
    card.get_by_role("button", name="同一问题").click()
    page.get_by_text(re.compile(f"已作为确认加入问题 {code}（共确认 1 次）")).wait_for()
    wait_ready(page)
    with _session(app_server) as s:
        assert s.scalar(select(func.count(m.Problem.id))) == problems
        row = s.execute(select(m.ProblemConfirmation.confirmed_by,
                               m.ProblemConfirmation.location_source,
                               m.ProblemConfirmation.accuracy_m, m.ProblemConfirmation.lat)
                        .where(m.ProblemConfirmation.problem_id == pid)).one()
    assert row[:3] == ("nanhu", "device", 12.0)
    assert row[3] == pytest.approx(here[0], abs=1e-6)
    assert web.outside_requests == []


def test_denied_geolocation_takes_the_point_from_the_photos_exif(phone_for, app_server,
                                                                 tmp_path) -> None:
    _, _, class_name, lat, lon = _lone_open_problem(app_server)
    spot = north(lat, lon, 400)  # far from it: nothing to suggest
    web = phone_for(None)  # geolocation not granted: the browser refuses it
    page = web.page
    _sign_in_and_open_report(web)
    page.get_by_text(re.compile("未获得手机定位")).wait_for()
    photo = tmp_path / "exif.jpg"
    photo.write_bytes(jpeg(4000, 3000, gps=spot))
    _choose_photo(page, photo)
    page.get_by_text("位置来源：照片 GPS 信息").wait_for()
    _choose_class(page, class_name)
    page.get_by_label("问题描述").fill("浏览器测试：人行道垃圾堆放")
    _fits_a_phone(page)
    _shot(page, "report-phone-exif")
    page.get_by_role("button", name="上报新问题").click()
    done = page.get_by_text(re.compile(r"已上报问题 P\d{6}-\d{3}"))
    done.wait_for()
    new_code = re.search(r"P\d{6}-\d{3}", done.inner_text()).group(0)
    with _session(app_server) as s:
        problem = s.scalar(select(m.Problem).where(m.Problem.code == new_code))
        assert (problem.lat, problem.lon) == pytest.approx(spot, abs=1e-5)
        assert problem.created_by == "nanhu" and problem.photo_before
    wait_ready(page)
    page.get_by_role("tab", name="我的任务").click()
    errors = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]')
    assert errors.all_inner_texts() == []
    _fits_a_phone(page)
    _shot(page, "report-phone-tasks")
    assert web.outside_requests == []


def _open_from_the_sidebar(page, base_url: str, path: str) -> None:
    """Click a page's sidebar link and wait for its run to end."""
    page.locator(f'[data-testid="stSidebarNav"] a[href="{base_url}/{path}"]').click()
    wait_ready(page)


# maps mounted in the tab so far (ui/deckchart.js counts each map new on a page, not reruns)
MOUNTS = "() => window.__civDeckPool ? window.__civDeckPool.mounts : 0"


def test_the_location_answer_does_not_draw_the_tap_map_again(web, app_server) -> None:
    """The browser's answer to "where am I" (here a refusal, as on a plain-http intranet) comes
    after the first visit's first run and reruns the page: the note it adds takes a slot kept
    for it, so the tap map below stays mounted (one mount a visit), not mounted and drawn a
    second time. The map's WebGL canvas is built once in the tab; later visits take it again
    (ui.deckchart's pool). The refusal is remembered for the session: a later visit shows the
    note at once, and the browser does not send the same refusal again by itself (no rerun)."""
    page = web.page
    page.context.add_init_script(script=WEBGL_CANVASES)
    sent: list[int] = []  # the browser's messages to the app (a click, a widget's new value)
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(1)))
    login(web, "nanhu")
    for visit in (1, 2, 3):
        _open_from_the_sidebar(page, web.base_url, "problems")
        mounts = page.evaluate(MOUNTS)
        sent.clear()
        _open_from_the_sidebar(page, web.base_url, "report")
        page.get_by_text(re.compile("未获得手机定位")).wait_for()
        page.locator('[data-testid="civDeckChart"] canvas').first.wait_for()
        page.wait_for_timeout(1500)  # a rerun, and a remount after it, would have come by now
        wait_ready(page)
        assert page.locator('[data-testid="civDeckChart"]').count() == 1
        assert map_ink(page.locator('[data-testid="civDeckChart"]')) > 0.05  # its cells drawn
        assert page.evaluate(MOUNTS) - mounts == 1, f"visit {visit}"
        # one canvas in the tab (the maps' warm-up on another page may have built it)
        assert page.evaluate("window.__webglCanvases") == 1, f"visit {visit}"
        # the click, then on the first visit only, the refusal (each one reruns the page)
        assert len(sent) == (2 if visit == 1 else 1), f"visit {visit}: {len(sent)} messages"
    sent.clear()
    page.get_by_role("button", name="获取手机定位").click()  # a tap asks, and is answered
    page.wait_for_timeout(1500)
    wait_ready(page)
    assert len(sent) == 1  # the refusal, sent again: the tap was heard
    page.get_by_text(re.compile("未获得手机定位")).wait_for()
