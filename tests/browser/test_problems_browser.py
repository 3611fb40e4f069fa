"""The problem loop in a real browser: report → assign → start → submit → close, screenshot."""

from __future__ import annotations

import re

from PIL import Image
from sqlalchemy import select

from civdata.core import models as m
from civdata.core.db import make_engine, session_factory
from tests.browser.conftest import login, screenshot, wait_ready


def _choose(page, label: str, text: str) -> None:
    """Pick the option containing text in the selectbox labelled label."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.click()
    box.fill(text)
    page.get_by_role("option").filter(has_text=text).first.click()
    wait_ready(page)


def _confirm(page, action_label: str, code: str, **fields: str) -> None:
    """Choose an action and the problem, fill the form's fields and confirm."""
    _choose(page, "操作", action_label)
    _choose(page, "问题", code)
    form = page.locator('[data-testid="stForm"]').filter(
        has=page.get_by_role("button", name="确认")).first
    for label, value in fields.items():
        form.get_by_label(label, exact=True).fill(value)
    form.get_by_role("button", name="确认").click()
    page.get_by_text(re.compile(f"问题 {code} 已{re.escape(action_label)}")).wait_for()
    wait_ready(page)


def test_report_assign_submit_close(web, app_server, tmp_path) -> None:
    login(web, "office")
    page = web.page
    page.goto(web.base_url + "/problems")
    wait_ready(page, '[data-testid="stMetric"]')
    page.get_by_role("tab", name="工作台").click()
    page.get_by_text("上报问题", exact=True).click()
    report = page.locator('[data-testid="stForm"]').filter(
        has=page.get_by_role("button", name="上报")).first
    report.get_by_label("问题描述").fill("浏览器测试：人行道垃圾堆放")
    report.get_by_role("button", name="上报").click()
    done = page.get_by_text(re.compile(r"已上报问题 P\d{6}-\d{3}"))
    done.wait_for()
    code = re.search(r"P\d{6}-\d{3}", done.inner_text()).group(0)
    wait_ready(page)

    page.get_by_role("tab", name="工作台").click()
    _confirm(page, "交办", code, 责任单位="西塔街道城管科")
    page.get_by_role("tab", name="工作台").click()
    _confirm(page, "开始整改", code)
    page.get_by_role("tab", name="工作台").click()
    _choose(page, "操作", "提交整改")
    _choose(page, "问题", code)
    form = page.locator('[data-testid="stForm"]').filter(
        has=page.get_by_role("button", name="确认")).first
    form.get_by_label("说明 / 理由", exact=True).fill("已清理完毕")
    form.get_by_role("button", name="确认").click()  # no after-photo yet: refused
    page.get_by_text("提交整改需同时填写整改说明并上传整改后照片。").wait_for()
    wait_ready(page)
    page.get_by_role("tab", name="工作台").click()
    photo = tmp_path / "after.png"
    Image.new("RGB", (64, 48), (90, 140, 90)).save(photo)
    form.locator('input[type="file"]').set_input_files(str(photo))
    form.get_by_text("after.png").wait_for()
    if not form.get_by_label("说明 / 理由", exact=True).input_value():
        form.get_by_label("说明 / 理由", exact=True).fill("已清理完毕")
    form.get_by_role("button", name="确认").click()
    page.get_by_text(re.compile(f"问题 {code} 已提交整改")).wait_for()
    wait_ready(page)
    page.get_by_role("tab", name="工作台").click()
    _confirm(page, "复核通过（销号）", code)

    eng = make_engine(app_server.database_url)
    with session_factory(eng)() as s:
        row = s.scalar(select(m.Problem).where(m.Problem.code == code))
        steps = s.scalars(select(m.ProblemEvent.to_status).where(
            m.ProblemEvent.problem_id == row.id).order_by(m.ProblemEvent.id)).all()
    eng.dispose()
    assert row.status == "closed" and row.closed_on_time is True
    assert row.responsible_unit == "西塔街道城管科"
    assert steps == ["discovered", "assigned", "rectifying", "submitted", "closed"]
    assert row.photo_after and row.photo_after.endswith(".png")
    page.get_by_role("tab", name="闭环概况").click()
    wait_ready(page)
    path = screenshot(web, "problems")
    assert path.stat().st_size > 20_000
    assert web.outside_requests == []
    page.goto(web.base_url + "/problems?lang=en")
    wait_ready(page, "h1")
    assert "The problem closed loop" in page.locator("h1").first.inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0
