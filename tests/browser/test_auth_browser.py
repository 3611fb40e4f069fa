"""Sessions in a real browser: a refresh keeps the login, sign-out ends it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.conftest import BrowserPage, login, running_app, screenshot, wait_ready
from tests.conftest import DEMO_PASSWORDS
from ui.nav import PAGES


def test_refresh_keeps_login_and_sign_out_ends_it(web) -> None:
    page = web.page
    login(web, "leader")
    assert "创城总览" in page.locator("h1").first.inner_text()
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert "civ_session" in cookies
    assert cookies["civ_session"]["sameSite"] == "Strict"
    page.reload()
    wait_ready(page, "h1")
    assert "创城总览" in page.locator("h1").first.inner_text()
    page.goto(web.base_url + "/renovation")  # a shared link opens signed in, too
    wait_ready(page, "h1")
    assert page.locator('input[type="password"]').count() == 0
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_selector('input[type="password"]')
    page.reload()
    wait_ready(page, 'input[type="password"]')
    assert page.locator("h1").first.inner_text() == "登录"
    screenshot(web, "login")


def test_wrong_password_message(web) -> None:
    page = web.page
    page.goto(web.base_url + "/")
    wait_ready(page, 'input[type="password"]')
    page.get_by_label("用户名").fill("office")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector('[data-testid="stAlertContentError"]')
    assert "用户名或密码错误" in page.locator('[data-testid="stAlertContentError"]').inner_text()


def test_leader_cannot_open_the_users_page(web) -> None:
    login(web, "leader")
    web.page.goto(web.base_url + "/users")
    wait_ready(web.page, "h1")
    assert "用户管理" not in web.page.locator('[data-testid="stMain"]').inner_text()


# --- issue 15.1: a page URL as the very first request of a new server ----------------------

PAGE_TITLES = {"problems": "问题闭环", "users": "用户管理", "audit": "审计日志"}


@contextmanager
def _fresh_context(browser, base_url: str) -> Iterator[BrowserPage]:
    """Return a new browser context (no cookies) on base_url, recording outside requests."""
    context = browser.new_context(viewport={"width": 1600, "height": 2200}, locale="zh-CN")
    outside: list[str] = []
    context.on("request", lambda r: outside.append(r.url)
               if not r.url.startswith((base_url, "data:", "blob:")) else None)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield BrowserPage(page=page, outside_requests=outside, base_url=base_url)
    finally:
        context.close()


def _sign_in_here(web: BrowserPage, user: str) -> None:
    """Sign in through the login form already on the page, and wait for the page."""
    page = web.page
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(DEMO_PASSWORDS[user])
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector('[data-testid="stSidebar"] button:has-text("退出登录")', timeout=60_000)
    wait_ready(page, "h1")


@pytest.mark.parametrize(("path", "user"), [("problems", "office"), ("users", "admin"),
                                            ("audit", "admin")])
def test_a_page_as_the_first_request_of_a_new_server_shows_the_login(
        browser, sample_template, tmp_path, path: str, user: str) -> None:
    """Before dashboard.py has run once, Streamlit's legacy pages/ mode served pages/*.py on
    their own: the data without a login, raw file names in the sidebar, crashes."""
    with running_app(sample_template, tmp_path) as server, \
            _fresh_context(browser, server.url) as web:
        page = web.page
        page.goto(f"{server.url}/{path}")
        wait_ready(page, 'input[type="password"]')
        main = page.locator('[data-testid="stMain"]').inner_text()
        assert PAGE_TITLES[path] not in main
        assert page.locator("h1").first.inner_text() == "登录"
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0  # no file names
        assert "nanhu" not in main and "南湖" not in main
        _sign_in_here(web, user)  # one click signs in and opens the page asked for
        assert urlparse(page.url).path == f"/{path}"
        assert PAGE_TITLES[path] in page.locator("h1").first.inner_text()
        assert page.locator('[data-testid="stException"]').count() == 0


def test_every_page_url_signed_out_shows_the_login_and_no_page_not_found(web) -> None:
    page = web.page
    for spec in PAGES:
        page.goto(f"{web.base_url}/{spec.url_path}")
        wait_ready(page, 'input[type="password"]')
        text = page.locator("body").inner_text()
        assert "Page not found" not in text, spec.url_path
        assert page.locator("h1").first.inner_text() == "登录"
        assert page.locator('[data-testid="stException"]').count() == 0


# --- issue 16.6: a signed-out link survives sign-in; 16.7: the tab title ---------------------

def test_a_signed_out_link_keeps_its_page_and_query_through_sign_in(web) -> None:
    page = web.page
    page.goto(web.base_url + "/map?subdistrict=nanhu")
    wait_ready(page, 'input[type="password"]')
    page.wait_for_timeout(500)
    assert "Page not found" not in page.locator("body").inner_text()
    assert page.locator('[role="dialog"]').count() == 0
    _sign_in_here(web, "office")
    url = urlparse(page.url)
    assert url.path == "/map"
    assert parse_qs(url.query).get("subdistrict") == ["nanhu"]
    assert "南湖" in page.locator("h1").first.inner_text()  # the sidebar filter took it


@pytest.mark.parametrize(("lang", "title"), [("zh", "和平区文明城市创建指挥平台"),
                                             ("en", "Heping Civilized City Dashboard")])
def test_the_tab_title_follows_the_language(web, lang: str, title: str) -> None:
    page = web.page
    page.goto(f"{web.base_url}/?lang={lang}")
    wait_ready(page, 'input[type="password"]')
    page.wait_for_function("t => document.title.includes(t)", arg=title, timeout=10_000)
    assert title in page.title()


# --- issue 15.8: stored Markdown makes the browser fetch nothing -----------------------------

IMAGE = "![x](http://example.invalid/p.png)"


def test_stored_markdown_makes_the_browser_fetch_nothing(browser, sample_template,
                                                         tmp_path) -> None:
    from sqlalchemy import create_engine, func, select, update

    from civdata.core import models as m

    with running_app(sample_template, tmp_path) as server:
        engine = create_engine(server.database_url)
        with engine.begin() as conn:  # before any page has read (and cached) anything
            conn.execute(update(m.Site).where(m.Site.code == "S060").values(
                name_zh=IMAGE, leader=IMAGE, unit_1=IMAGE))
            conn.execute(update(m.Problem).values(responsible_unit=IMAGE))
            first = select(func.min(m.EscalationRung.id)).scalar_subquery()
            conn.execute(update(m.EscalationRung).where(m.EscalationRung.id == first)
                         .values(name_zh=IMAGE))
            conn.execute(update(m.User).where(m.User.username == "office")
                         .values(display_name=IMAGE))
        engine.dispose()
        with _fresh_context(browser, server.url) as web:
            page = web.page
            page.goto(server.url + "/map?site=S060")
            wait_ready(page, 'input[type="password"]')
            _sign_in_here(web, "office")
            page.wait_for_selector("text=S060", timeout=60_000)
            assert IMAGE in page.locator('[data-testid="stMain"]').inner_text()  # shown as text
            page.goto(server.url + "/problems")
            wait_ready(page, "h1")
            page.get_by_role("tab").nth(1).click()  # the overdue tab: the ladder's names
            wait_ready(page)
            assert IMAGE in page.locator('[data-testid="stMain"]').inner_text()
            assert IMAGE in page.locator('[data-testid="stSidebar"]').inner_text()
            assert not [u for u in web.outside_requests if "example.invalid" in u], \
                web.outside_requests
