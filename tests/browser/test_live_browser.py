"""Two browsers signed in: problems imported through the data page in one appear on the other's
overview within the refresh interval, without anyone reloading."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.browser.conftest import BrowserPage, Server, login, running_app, screenshot, wait_ready

REFRESH_S = 2
CSV = ("和平区问题台账\n街道,问题类别,纬度,经度,问题描述,来源\n"
       "nanhu,sanitation,41.7615,123.4268,浏览器导入一,daily_inspection\n"
       "nanhu,sanitation,41.7620,123.4270,浏览器导入二,spot_check\n"
       "nanhu,infrastructure,41.7630,123.4275,浏览器导入三,third_party\n")


@pytest.fixture(scope="module")
def live_server(sample_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Start the app with a short refresh interval over its own copy of the sample."""
    with running_app(sample_template, tmp_path_factory.mktemp("live"),
                     CIVDATA_REFRESH_SECONDS=str(REFRESH_S)) as server:
        yield server


def _open_problems(page) -> int:
    """Return the overview's 'open problems' figure (the second headline metric)."""
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    return int(values[1].replace(",", ""))


def test_a_change_in_one_browser_appears_in_the_other(browser, live_server) -> None:
    contexts = [browser.new_context(viewport={"width": 1600, "height": 2000}, locale="zh-CN")
                for _ in range(2)]
    try:
        importer, watcher = (BrowserPage(page=c.new_page(), outside_requests=[],
                                         base_url=live_server.url) for c in contexts)
        for web in (importer, watcher):
            web.page.set_default_timeout(60_000)
            login(web, "office")
        watcher.page.wait_for_selector('[data-testid="stMetricValue"]')
        before = _open_problems(watcher.page)
        caption_before = watcher.page.get_by_text("数据最近更新于").first.inner_text()
        assert f"每 {REFRESH_S} 秒自动刷新" in caption_before

        page = importer.page
        page.goto(live_server.url + "/data")
        wait_ready(page, '[data-testid="stFileUploaderDropzone"]')
        page.set_input_files('input[type="file"]', files=[{
            "name": "台账.csv", "mimeType": "text/csv", "buffer": CSV.encode("utf-8")}])
        page.get_by_text("文件检查通过：3 行均可导入。").wait_for()
        page.get_by_role("button", name="导入 3 行").click()
        page.get_by_text("已导入 3 行（新增 3，更新 0，跳过 0）").wait_for()
        imported_at = time.time()
        wait_ready(page)
        screenshot(importer, "data_import")
        with page.expect_download() as info:
            page.get_by_role("button", name="下载 JSON").click()
        requests = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
        mine = [r for r in requests if r["description"].startswith("浏览器导入")]
        assert len(mine) == 3 and {r["status"] for r in mine} == {"open"}
        assert all(r["requested_datetime"].endswith("+08:00") and r["lat"] for r in mine)
        with page.expect_download() as info:
            page.get_by_role("button", name="问题模板").click()
        assert info.value.suggested_filename == "template_problems.xlsx"
        book = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
        assert book.sheetnames == ["problems", "说明 columns"]

        deadline = imported_at + REFRESH_S + 20
        seen = before
        while time.time() < deadline:
            try:
                seen = _open_problems(watcher.page)
            except (ValueError, IndexError):  # mid-rerun
                seen = before
            if seen == before + 3:
                break
            watcher.page.wait_for_timeout(250)
        assert seen == before + 3, f"the other browser still shows {seen} (before {before})"
        waited = time.time() - imported_at
        assert waited < REFRESH_S + 20
        # The caption shows the latest change time; under the test's fixed CIVDATA_TODAY the
        # sample's load (real date) may be later than the import, so only its presence is checked.
        assert "数据最近更新于" in watcher.page.get_by_text("数据最近更新于").first.inner_text()
        screenshot(watcher, "overview_live")
        with watcher.page.expect_download() as info:
            watcher.page.get_by_role("button", name="下载 CSV").click()
        lines = Path(info.value.path()).read_text(encoding="utf-8-sig").strip().splitlines()
        assert len(lines) == 13 and lines[0].startswith("名次,街道,综合指数")
    finally:
        for c in contexts:
            c.close()
