"""The volunteers page in a real browser: coverage on screen, the map drawn, no outside requests."""

from __future__ import annotations

from civdata.core.db import make_engine, session_factory
from civdata.domain import volunteers as vol
from tests.browser.conftest import login, screenshot, wait_ready
from tests.conftest import SAMPLE_AS_OF


def test_volunteers_page_shows_coverage_and_map(web, app_server) -> None:
    login(web, "office")
    page = web.page
    page.goto(web.base_url + "/volunteers")
    wait_ready(page, '[data-testid="stMetric"]')
    eng = make_engine(app_server.database_url)
    with session_factory(eng)() as s:
        covered, total = vol.coverage_share(vol.community_coverage(
            vol.community_activity(s, SAMPLE_AS_OF, None, 30), SAMPLE_AS_OF))
    eng.dispose()
    metrics = page.locator('[data-testid="stMetric"]').all_inner_texts()
    assert any("社区活动覆盖率" in m for m in metrics)
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    assert values[0] == f"{100 * covered / total:.1f}%"
    page.wait_for_selector('[data-testid="civDeckChart"] canvas', timeout=60_000)
    assert page.locator('[data-testid="civDeckChart"]').count() == 1
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 3
    path = screenshot(web, "volunteers")
    assert path.stat().st_size > 20_000
    assert web.outside_requests == []


def test_a_link_with_window_and_team_reproduces_the_view(web) -> None:
    login(web, "office")
    page = web.page
    page.goto(web.base_url + "/volunteers?window=7&team=T01")
    wait_ready(page, '[data-testid="stMetric"]')
    main = page.locator('[data-testid="stMain"]')
    assert "（7 天）" in main.locator('[data-testid="stCaptionContainer"]').first.inner_text()
    headings = main.locator("h3").all_inner_texts()
    assert any(h.startswith("市府大路4社区") and h.endswith("的活动") for h in headings), headings
    assert web.outside_requests == []
