"""The overview in a real browser: login, headline figures on screen, no outside requests."""

from __future__ import annotations

from datetime import datetime, timedelta

from civdata.core.clock import this_minute
from civdata.core.db import make_engine, session_factory
from civdata.domain import district
from tests.browser.conftest import login, screenshot, wait_ready
from tests.conftest import SAMPLE_AS_OF


def test_overview_shows_headline_figures(web, app_server) -> None:
    login(web, "office")
    page = web.page
    page.wait_for_selector('[data-testid="stMetric"]')
    eng = make_engine(app_server.database_url)
    with session_factory(eng)() as s:  # the server's clock: CIVDATA_TODAY at today's local time
        expected = {district.sites_with_open_problems_at(
            s, datetime.combine(SAMPLE_AS_OF, this_minute().time()) - timedelta(minutes=k), None)
            for k in (0, 1, 2)}
    eng.dispose()
    metrics = page.locator('[data-testid="stMetric"]').all_inner_texts()
    assert any("周边有未结问题的点位" in m for m in metrics)
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    assert len(values) >= 6
    assert int(values[0].replace(",", "")) in expected
    assert page.locator('[data-testid="stDataFrame"]').count() >= 1
    path = screenshot(web, "overview")
    assert path.stat().st_size > 20_000
    assert web.outside_requests == []


def test_subdistrict_link_reproduces_the_view(web) -> None:
    login(web, "office")
    web.page.goto(web.base_url + "/?subdistrict=nanhu&lang=en")
    wait_ready(web.page, "h1")
    assert "Nanhu" in web.page.locator("h1").first.inner_text()
