"""The weekly meeting's presentation mode in a real browser at projector size (1920×1080)."""

from __future__ import annotations

from tests.browser.conftest import SHOTS, BrowserPage, login, wait_ready


def test_presentation_mode_on_a_projector(browser, app_server) -> None:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    outside: list[str] = []
    context.on("request", lambda r: outside.append(r.url) if r.url.startswith(
        ("http://", "https://", "ws://", "wss://")) and "127.0.0.1" not in r.url else None)
    page = context.new_page()
    page.set_default_timeout(60_000)
    web = BrowserPage(page=page, outside_requests=outside, base_url=app_server.url)
    try:
        login(web, "leader")
        page.goto(app_server.url + "/weekly?week=2026-W48&present=1")
        wait_ready(page, "h1")
        assert "周调度会" in page.locator("h1").first.inner_text()
        page.wait_for_selector('[data-testid="stMetric"]')
        assert not page.locator('[data-testid="stSidebar"]').is_visible()
        assert page.locator("h3", has_text="本周要情").is_visible()
        size = page.locator('[data-testid="stMetricValue"] p').first.evaluate(
            "e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 40  # large type for the back of the room
        SHOTS.mkdir(exist_ok=True)
        first = SHOTS / "weekly_present.png"
        page.screenshot(path=str(first))  # the projector's one screen, not the full page
        assert first.stat().st_size > 20_000
        sections = ["街道综合指数", "红黑榜", "问题闭环", "改造工程进度", "市场与志愿服务",
                    "超期问题与问责名单", "测评失分风险", "跟进事项"]
        for k, name in enumerate(sections, start=2):
            page.get_by_role("button", name="下一页").click()
            page.wait_for_selector(f"h3:has-text('{name}')")
            wait_ready(page)
            if name == "街道综合指数":
                page.wait_for_selector('[data-testid="stPlotlyChart"]')
                page.screenshot(path=str(SHOTS / "weekly_present_index.png"))
            height = page.locator('[data-testid="stMain"]').evaluate("e => e.scrollHeight")
            assert height <= 1080, f"screen {k} ({name}) is {height} px tall"
        assert outside == []
    finally:
        context.close()
