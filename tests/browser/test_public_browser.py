"""The public channel in Chromium at phone size (issue 20), with Playwright's geolocation
permission and a fake position: a citizen's report goes through moderation and becomes a
problem, the sixth report in an hour is refused, a public session reaches no other page, and a
tile URL draws raster tiles from the (local) tile server, nothing from outside."""

from __future__ import annotations

import http.server
import io
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from civdata.core import models as m
from civdata.core.db import make_engine, session_factory
from civdata.domain import public_reports as pr
from tests.browser.conftest import (
    BrowserPage,
    Server,
    login,
    map_ink,
    running_app,
    screenshot,
    wait_ready,
    watched_page,
)
from tests.conftest import ROOT
from ui.deckchart import MAPS_DRAWN_JS
from ui.nav import PAGES

NANHU = {"latitude": 41.7615, "longitude": 123.4268, "accuracy": 12}
PHONE = {"width": 390, "height": 844}
DOCS = ROOT / "docs" / "screenshots"
SECRET = "browser-test-secret"  # running_app's CIVDATA_SECRET: the limit's keyed hashes


class _Tiles(http.server.BaseHTTPRequestHandler):
    """A tile server on 127.0.0.1: one small PNG for every /z/x/y.png, counting requests."""

    hits: list[str] = []
    png = b""

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Content-Length", str(len(self.png)))
        self.end_headers()
        self.wfile.write(self.png)

    def log_message(self, *args: object) -> None:
        """Stay quiet."""


@pytest.fixture(scope="module")
def tiles() -> Iterator[str]:
    """Return the URL template of a local tile server."""
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (225, 232, 240)).save(buf, format="PNG")
    _Tiles.png = buf.getvalue()
    _Tiles.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Tiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
    server.shutdown()


@pytest.fixture(scope="module")
def public_server(sample_template: Path, tmp_path_factory: pytest.TempPathFactory,
                  tiles: str) -> Iterator[Server]:
    """The app on its own copy of the sample (the limit counts by address: 127.0.0.1 here),
    with raster tiles from the local tile server."""
    with running_app(sample_template, tmp_path_factory.mktemp("public"),
                     CIVDATA_TILE_URL=tiles) as server:
        yield server


def _context(browser, server: Server, phone: bool = True) -> BrowserPage:
    """Return a new browser context: a phone with a granted, fake position, or a desk."""
    if phone:
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                      has_touch=True, locale="zh-CN", geolocation=NANHU,
                                      permissions=["geolocation"])
    else:
        context = browser.new_context(viewport={"width": 1400, "height": 1800}, locale="zh-CN")
    return watched_page(context, server.url)


@pytest.fixture
def citizen(browser, public_server: Server) -> Iterator[BrowserPage]:
    web = _context(browser, public_server)
    yield web
    web.page.context.close()


@pytest.fixture
def office(browser, public_server: Server) -> Iterator[BrowserPage]:
    web = _context(browser, public_server, phone=False)
    yield web
    web.page.context.close()


def _photo(tmp_path: Path) -> Path:
    path = tmp_path / "street.jpg"
    Image.new("RGB", (640, 480), (120, 160, 90)).save(path, format="JPEG")
    return path


def open_public(web: BrowserPage) -> None:
    web.page.goto(web.base_url + "/public")
    wait_ready(web.page, "h1")


def file_report(web: BrowserPage, photo: Path, text: str, chooser: bool = True) -> None:
    """Fill the report on the phone (photo through the file chooser, or straight into the file
    input; the phone's position) and send it; wait for the answer."""
    page = web.page
    if chooser:
        with page.expect_file_chooser() as picked:
            page.locator('[data-testid="stFileUploaderDropzone"] button').first.click()
        picked.value.set_files(str(photo))
    else:
        page.locator('input[type="file"]').first.set_input_files(str(photo))
    page.get_by_text(photo.name).first.wait_for()
    wait_ready(page)
    page.locator('[data-testid="civ-geolocate"]').click()
    page.wait_for_selector("text=手机定位，精度约 12 米")
    wait_ready(page)
    page.get_by_label("问题描述").fill(text)
    page.get_by_role("button", name="提交举报").click()
    page.wait_for_selector('[data-testid="stAlertContentSuccess"]:has-text("举报编号"), '
                           '[data-testid="stAlertContentError"]')
    wait_ready(page)


def _db(server: Server):
    return session_factory(make_engine(server.database_url))


def test_a_public_report_goes_through_moderation_and_becomes_a_problem(
        citizen, office, public_server, tmp_path) -> None:
    open_public(citizen)
    assert citizen.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    DOCS.mkdir(parents=True, exist_ok=True)
    citizen.page.wait_for_function(MAPS_DRAWN_JS)  # the tap map is on the phone's screen
    tap_map = citizen.page.locator('[data-testid="civDeckChart"]')
    tap_map.scroll_into_view_if_needed()
    assert map_ink(tap_map) > 0.1  # the district's tappable cells are drawn
    citizen.page.screenshot(path=str(DOCS / "public.png"), full_page=True)
    file_report(citizen, _photo(tmp_path), "南湖公园东门 <b>垃圾</b> 堆放")
    done = citizen.page.locator('[data-testid="stAlertContentSuccess"]').inner_text()
    code = re.search(r"[2-9A-Z]{4}-[2-9A-Z]{4}", done).group(0)
    screenshot(citizen, "public_filed")
    # the office accepts it in the moderation queue
    login(office, "office", "/moderation")
    wait_ready(office.page, "h1")
    office.page.set_viewport_size(PHONE)  # the queue on a phone too, for docs/screenshots
    wait_ready(office.page)
    assert office.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    office.page.screenshot(path=str(DOCS / "moderation.png"), full_page=True)
    office.page.get_by_label("选择要处理的举报").click()
    office.page.get_by_role("option", name=re.compile(code)).click()
    wait_ready(office.page)
    office.page.get_by_role("button", name="确定").click()
    office.page.wait_for_selector(f'[data-testid="stAlertContentSuccess"]:has-text("{code}")')
    with _db(public_server)() as s:
        report = s.scalar(select(m.PublicReport).where(m.PublicReport.code == code))
        problem = s.get(m.Problem, report.problem_id)
        assert report.status == "accepted" and problem.source == "public_report"
        assert problem.description == "南湖公园东门 <b>垃圾</b> 堆放" and problem.photo_before
        assert abs(problem.lat - NANHU["latitude"]) < 1e-5  # the phone's position, WGS-84
    # the citizen looks the code up: accepted, the case code, nothing personal
    citizen.page.goto(f"{citizen.base_url}/public?code={code}")
    wait_ready(citizen.page, "h1")
    citizen.page.get_by_role("tab", name="查询进度").click()
    status = citizen.page.locator('[data-testid="stMain"]').inner_text()
    assert "已受理立案" in status and problem.code in status
    citizen.page.screenshot(path=str(DOCS / "public_status.png"), full_page=True)
    assert citizen.outside_requests == [] and office.outside_requests == []


def test_the_sixth_report_in_an_hour_is_refused(citizen, public_server, tmp_path,
                                                monkeypatch) -> None:
    monkeypatch.setenv("CIVDATA_SECRET", SECRET)
    with _db(public_server)() as s:  # every report here comes from 127.0.0.1
        already = pr.reports_in_window(s, client_key=pr.keyed_hash("127.0.0.1"))
    photo = _photo(tmp_path)
    open_public(citizen)
    for i in range(already, pr.RATE_LIMIT):
        file_report(citizen, photo, f"第 {i + 1} 处垃圾", chooser=False)
        assert citizen.page.locator('[data-testid="stAlertContentError"]').count() == 0
    with _db(public_server)() as s:
        before = len(s.scalars(select(m.PublicReport.id)).all())
    file_report(citizen, photo, "第 6 处垃圾", chooser=False)
    error = citizen.page.locator('[data-testid="stAlertContentError"]').inner_text()
    assert "每小时最多提交 5 条举报" in error
    with _db(public_server)() as s:
        assert len(s.scalars(select(m.PublicReport.id)).all()) == before
    screenshot(citizen, "public_rate_limited")


def test_a_public_session_cannot_open_any_other_page(citizen) -> None:
    open_public(citizen)
    for spec in PAGES:
        citizen.page.goto(f"{citizen.base_url}/{spec.url_path}")
        wait_ready(citizen.page, 'input[type="password"]')
        assert citizen.page.locator("h1").first.inner_text() == "登录", spec.url_path
        assert citizen.page.locator('[data-testid="civDeckChart"]').count() == 0
        assert citizen.page.locator('[data-testid="stMetric"]').count() == 0
    assert citizen.outside_requests == []


def test_tiles_come_from_the_configured_server_and_nothing_from_outside(citizen, tiles
                                                                      ) -> None:
    _Tiles.hits.clear()
    open_public(citizen)
    citizen.page.wait_for_selector('[data-testid="civDeckChart"] canvas')
    citizen.page.wait_for_function("() => true")
    for _ in range(40):
        if _Tiles.hits:
            break
        citizen.page.wait_for_timeout(250)
    assert _Tiles.hits and all(re.fullmatch(r"/\d+/\d+/\d+\.png", h) for h in _Tiles.hits)
    assert citizen.outside_requests == []
