"""Issue 16, item 8: every problem, open or closed, has a card reachable by its code (?problem=),
from the search box and from the audit log; its history reads in the user's language."""

from __future__ import annotations

from sqlalchemy import select

from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.domain import workflow
from tests.pages.apptest import open_page, signed_in

HISTORY = ["时间", "操作人", "原状态", "新状态", "说明"]


def _closed_code(session) -> str:
    """Return the code of a closed problem with at least three events."""
    for code, pid in session.execute(select(m.Problem.code, m.Problem.id)
                                     .where(m.Problem.status == "closed")
                                     .order_by(m.Problem.id)).all():
        notes = session.scalars(select(m.ProblemEvent.note)
                                .where(m.ProblemEvent.problem_id == pid)).all()
        if len(notes) >= 3:
            return code
    raise AssertionError("the sample has a closed problem with history")


def _history(at):
    return next(df.value for df in at.dataframe if "原状态" in df.value.columns)


def test_closed_problem_card_by_code_in_the_url(sample_db, sample_session) -> None:
    code = _closed_code(sample_session)
    at = signed_in("leader")
    at.query_params["problem"] = code
    open_page(at, "problems")
    assert at.text_input(key="problem_search").value == code
    facts = next(df.value for df in at.dataframe if "项目" in df.value.columns)
    assert dict(zip(facts["项目"], facts["内容"], strict=True))["编号"] == code
    assert dict(zip(facts["项目"], facts["内容"], strict=True))["状态"] == "已销号"
    history = _history(at)
    assert list(history.columns) == HISTORY
    assert history["原状态"].iloc[0] == "—"
    assert history["新状态"].iloc[0] == "已发现"
    assert history["新状态"].iloc[-1] == "已销号"
    cells = history.astype(str).to_numpy().ravel().tolist()
    assert not any("problems.status" in c or c in ("None", "nan") for c in cells)


def test_search_box_finds_a_problem_by_words_and_binds_the_url(sample_db) -> None:
    at = open_page(signed_in("office"), "problems")
    at.text_input(key="problem_search").input("井盖").run()
    assert not at.exception, at.exception
    picker = at.selectbox(key="problem_found")
    assert len(picker.options) > 1
    first = picker.proto.options[0].split(" · ")[0]
    picker.set_value(first).run()
    assert at.text_input(key="problem_search").value == first
    assert at.query_params["problem"] == [first] or at.query_params["problem"] == first
    assert list(_history(at).columns) == HISTORY
    at.text_input(key="problem_search").input("P9999999").run()
    assert any("没有找到" in i.value for i in at.info)


def test_audit_rows_about_problems_link_to_their_card(sample_db, sample_session) -> None:
    sub = sample_session.scalar(select(m.Subdistrict).where(m.Subdistrict.code == "nanhu"))
    office = Actor(username="office", role="office", subdistrict_id=None)
    problem = workflow.report_problem(sample_session, office, subdistrict_id=sub.id,
                                      class_code="sanitation", lat=sub.center_lat,
                                      lon=sub.center_lon, description="审计链接测试",
                                      source="spot_check")
    sample_session.commit()
    at = open_page(signed_in("office"), "audit")
    table = next(df.value for df in at.dataframe if "问题卡片" in df.value.columns)
    links = [v for v in table["问题卡片"] if v]
    assert f"/problems?problem={problem.code}" in links
    assert (table.loc[table["数据表"] != "problem", "问题卡片"] == "").all()
    at.query_params["problem"] = problem.code  # what the link opens
    open_page(at, "problems")
    history = _history(at)
    assert list(history["原状态"]) == ["—"] and list(history["新状态"]) == ["已发现"]
    assert list(history["说明"]) == [""]  # reported without a note: blank, never "None"
