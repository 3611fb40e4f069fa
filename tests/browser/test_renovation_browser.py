"""The renovation page in a real browser: the six bars, charts drawn, no outside requests."""

from __future__ import annotations

from civdata.core.db import make_engine, session_factory
from civdata.domain import metrics
from civdata.domain import renovation as ren
from tests.browser.conftest import login, screenshot, wait_ready
from tests.conftest import SAMPLE_AS_OF


def test_renovation_page_shows_the_bars(web, app_server) -> None:
    login(web, "office")
    page = web.page
    page.goto(web.base_url + "/renovation")
    wait_ready(page, '[data-testid="stProgress"]')
    eng = make_engine(app_server.database_url)
    with session_factory(eng)() as s:
        summary = metrics.programme_summary(ren.projects_with_progress(s, SAMPLE_AS_OF))
    eng.dispose()
    bars = page.locator('[data-testid="stProgress"]').all_inner_texts()
    assert len(bars) == 6
    assert "老旧小区改造 第1批" in bars[0] and "35/50" in bars[0]
    # another browser test may have reported progress; the page follows the database
    assert f"{summary.iloc[0]['percent']:.1f}%" in bars[0]
    page.wait_for_selector('[data-testid="stPlotlyChart"]')
    page.wait_for_timeout(500)
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 4
    assert page.locator('[data-testid="stDataFrame"]').count() >= 2
    path = screenshot(web, "renovation")
    assert path.stat().st_size > 20_000
    page.locator('[data-testid="stPlotlyChart"]').nth(2).scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    assert screenshot(web, "renovation_timeline").stat().st_size > 20_000
    assert web.outside_requests == []
