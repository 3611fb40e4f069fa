"""The markets page in a real browser: map, ranking and charts on screen, no outside requests."""

from __future__ import annotations

import math

from civdata.core.db import make_engine, session_factory
from civdata.domain import markets as mk
from tests.browser.conftest import login, screenshot, wait_ready
from tests.conftest import SAMPLE_AS_OF


def test_markets_page_renders_map_and_ranking(web) -> None:
    login(web, "market")
    page = web.page
    page.goto(web.base_url + "/markets")
    wait_ready(page, "h1")
    assert "农贸市场治理" in page.locator("h1").first.inner_text()
    page.wait_for_selector('[data-testid="civDeckChart"] canvas', timeout=60_000)
    page.wait_for_selector('[data-testid="stPlotlyChart"]', timeout=60_000)
    metrics = page.locator('[data-testid="stMetric"]').all_inner_texts()
    assert any("市场数" in m and "20" in m for m in metrics)
    assert any("日均出动检查员（共43人）" in m for m in metrics)
    assert page.locator('[data-testid="stDataFrame"]').count() >= 1
    page.wait_for_timeout(1500)  # let deck.gl and plotly paint
    path = screenshot(web, "markets")
    assert path.stat().st_size > 20_000
    page.get_by_role("tab", name="录入检查").click()
    page.wait_for_selector('button:has-text("保存检查记录")', timeout=30_000)
    screenshot(web, "markets_form")
    assert web.outside_requests == []


def test_clicking_a_market_on_the_map_opens_its_card(web, app_server) -> None:
    eng = make_engine(app_server.database_url)
    with session_factory(eng)() as s:
        latest = mk.latest_market_scores(s, SAMPLE_AS_OF, None)
    eng.dispose()
    lat0, lon0 = float(latest["lat"].mean()), float(latest["lon"].mean())
    target = latest.iloc[int(((latest["lat"] - lat0) ** 2 + (latest["lon"] - lon0) ** 2).argmin())]
    login(web, "leader")
    page = web.page
    page.goto(web.base_url + "/markets")
    wait_ready(page, '[data-testid="civDeckChart"] canvas')
    page.wait_for_timeout(1500)
    box = page.locator('[data-testid="civDeckChart"] canvas').first.bounding_box()
    world = 512 * 2 ** 11.5  # deck.gl web-mercator pixels at the page's zoom

    def merc(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    x = box["x"] + box["width"] / 2 + (float(target["lon"]) - lon0) / 360 * world
    y = box["y"] + box["height"] / 2 + (merc(lat0) - merc(float(target["lat"]))) / (2 * math.pi) \
        * world
    page.mouse.move(x, y)  # deck.gl picks what the pointer is over
    page.wait_for_timeout(800)
    page.mouse.click(x, y)
    page.wait_for_function("(code) => window.location.search.includes('market=' + code)",
                           arg=str(target["code"]), timeout=30_000)
    wait_ready(page)
    page.get_by_role("tab", name="市场档案").click()
    page.wait_for_selector(f'h3:has-text("{target["name_zh"]}")', timeout=30_000)
    screenshot(web, "markets_card")
