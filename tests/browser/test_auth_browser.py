"""Sessions in a real browser: a refresh keeps the login, sign-out ends it."""

from __future__ import annotations

from tests.browser.conftest import login, screenshot, wait_ready


def test_refresh_keeps_login_and_sign_out_ends_it(web) -> None:  # noqa: ANN001
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


def test_wrong_password_message(web) -> None:  # noqa: ANN001
    page = web.page
    page.goto(web.base_url + "/")
    wait_ready(page, 'input[type="password"]')
    page.get_by_label("用户名").fill("office")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector('[data-testid="stAlertContentError"]')
    assert "用户名或密码错误" in page.locator('[data-testid="stAlertContentError"]').inner_text()


def test_leader_cannot_open_the_users_page(web) -> None:  # noqa: ANN001
    login(web, "leader")
    web.page.goto(web.base_url + "/users")
    wait_ready(web.page, "h1")
    assert "用户管理" not in web.page.locator('[data-testid="stMain"]').inner_text()
